package bridge

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestTxnRecordSurvivesShutdown: the result of a correction arrives while
// the gateway shuts down (its context cancelled). The txn must be recorded
// all the same, else the client's resend of the correction after the
// restart reaches the network again (TestResendIgnored failed about once
// in 25 runs this way: "txn write failed: context canceled").
func TestTxnRecordSurvivesShutdown(t *testing.T) {
	tr := newTestTransport(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tr.recordTxn(ctx, "l", "fx1")
	if sent, err := tr.db.SentBefore("echo", "l", "bob", "fx1"); err != nil || !sent {
		t.Fatalf("txn recorded during a shutdown: SentBefore = %v, %v; want true", sent, err)
	}
}

// TestPlainIDWindow: a message with only a plain id is a resend of an
// earlier one with the same id from the same full JID within the window;
// from another resource, or after the window, it is a new message.
func TestPlainIDWindow(t *testing.T) {
	tr := newTestTransport(t)
	tr.idWindow = time.Minute
	t0 := time.Unix(1_800_000_000, 0)
	sent, _ := tr.plainTxns("alice@localhost/phone", "1", t0)
	isResend := func(from, id string, at time.Time) bool {
		_, earlier := tr.plainTxns(from, id, at)
		return slices.Contains(earlier, sent)
	}
	for _, d := range []time.Duration{0, time.Second, 59 * time.Second} {
		if !isResend("alice@localhost/phone", "1", t0.Add(d)) {
			t.Errorf("same id %v later: not a resend", d)
		}
	}
	if isResend("alice@localhost/laptop", "1", t0) {
		t.Error("same id from another resource: a resend")
	}
	if isResend("alice@localhost/phone", "2", t0) {
		t.Error("another id: a resend")
	}
	if isResend("alice@localhost/phone", "1", t0.Add(2*time.Minute)) {
		t.Error("same id two windows later: a resend")
	}
	tr.recordTxn(context.Background(), "l", sent)
	if ok, err := tr.db.SentBefore("echo", "l", "bob", sent); err != nil || !ok {
		t.Errorf("the hashed txn is not stored: %v %v", ok, err)
	}
}
