package bridge

import (
	"context"
	"testing"
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
