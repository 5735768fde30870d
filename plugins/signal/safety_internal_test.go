package signal

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A changed safety number is noted told in untrusted-told.json only once
// the host has the notice: a plugin killed while the notice is on its way
// starts with it untold, and its envelope, handled again, tells it. Before,
// it was noted first, and the next start found it told: never told.
func TestUntrustedNotedOnceConfirmed(t *testing.T) {
	const bob = "+15550000002"
	h := &recordingHost{hold: make(chan struct{}), entered: make(chan struct{})}
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &Session{n: &Network{host: h}, loginID: "l", dir: dir, untrusted: loadUntrusted(dir, log)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.tellUntrusted(context.Background(), bob, "Bob", time.Now().UnixMilli(), "1")
	}()
	select {
	case <-h.entered:
	case <-time.After(20 * time.Second):
		t.Fatal("the notice never went to the host")
	}
	// Killed now: the next start reads the file.
	if loadUntrusted(dir, log).Told(bob, untrustedTold) {
		t.Error("noted told on disk before the host had the notice")
	}
	// A send refused meanwhile does not tell it a second time.
	second := make(chan struct{})
	go func() {
		defer close(second)
		s.tellUntrusted(context.Background(), bob, "", time.Now().UnixMilli(), "2")
	}()
	select {
	case <-second:
	case <-h.entered:
		t.Error("a send refused while the notice was on its way told it again")
	case <-time.After(20 * time.Second):
		t.Fatal("a send refused while the notice was on its way waited for it")
	}
	close(h.hold)
	<-done
	if !loadUntrusted(dir, log).Told(bob, untrustedTold) {
		t.Fatal("not noted told once the host had the notice")
	}
	s.tellUntrusted(context.Background(), bob, "Bob", time.Now().UnixMilli(), "1")
	if n := len(h.events()); n != 1 {
		t.Fatalf("%d notices, want 1", n)
	}
}

// A changed safety number told by a send refused for it, whose notice
// the gateway had but whose confirmation was lost, is told again by the
// next send refused under the ID it had: named by the contact's key, the
// room shows it once. Before, it was named by the time of the send, and
// shown twice. A new key of theirs, once a message of theirs was read,
// is another notice.
func TestUntrustedSendNoticeRetoldUnderItsID(t *testing.T) {
	const bob = "+15550000002"
	d := startDaemon(t)
	var first atomic.Bool
	h := &lostConfirmationHost{recordingHost: &recordingHost{}, lose: func(*pb.Event) bool { return first.CompareAndSwap(false, true) }}
	s := dialedSession(t, d, h, t.TempDir())
	ctx := context.Background()
	// refused sends to bob, refused for his key, in a millisecond of
	// its own: named by the time, its notice would be another.
	refused := func() {
		t.Helper()
		for was := time.Now().UnixMilli(); time.Now().UnixMilli() == was; {
			runtime.Gosched()
		}
		if _, err := s.SendMessage(ctx, sdk.Call{ChatID: bob}, &pb.SendMessage{Text: "hi"}); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
			t.Fatalf("a send to bob, his key not trusted: %v, want it refused", err)
		}
	}
	// notices are the IDs of bob's notices the host had, and how many.
	notices := func() (map[string]bool, int) {
		ids, n := map[string]bool{}, 0
		for _, ev := range h.events() {
			if ev.ChatId == bob && strings.Contains(ev.GetMessage().GetText(), "safety number changed") {
				ids[ev.EventId] = true
				n++
			}
		}
		return ids, n
	}

	d.Fail(bob, "IDENTITY_FAILURE")
	refused() // told; the confirmation lost
	refused() // told again
	refused() // confirmed: told no more
	if ids, n := notices(); n != 2 || len(ids) != 1 {
		t.Fatalf("bob's notice given the host %d times under %v; want twice under one ID", n, ids)
	}

	s.readFrom(bob) // a message of his read
	d.Fail(bob, "IDENTITY_FAILURE")
	refused()
	if ids, n := notices(); n != 3 || len(ids) != 2 {
		t.Fatalf("after a new key of bob's: his notices given %d times under %v; want a new ID", n, ids)
	}
}

// One new key of a contact tells one notice: a message of theirs that
// could not be read tells it (the gateway had it, its confirmation
// lost), and a send to them refused next tells it again under the ID it
// had, which the gateway drops, after a restart too. signal-cli lists
// the new key once a send met it, or once its fetch of the sender's
// profile, made after writing the envelope, came back (the fake as it
// does): the message's notice may be asked for the key before, and so
// named by its time; the name it was told under is kept, in the
// login's folder, for the send's. Either order passes.
// Before, the message's was named by its time, the send's by the key,
// and the room showed the warning twice.
func TestUntrustedNoticeOnceReceivedThenRefused(t *testing.T) {
	d := startDaemon(t)
	isNotice := func(ev *pb.Event) bool {
		return ev.ChatId == bob && strings.Contains(ev.GetMessage().GetText(), "safety number changed")
	}
	var first atomic.Bool
	h := &lostConfirmationHost{recordingHost: &recordingHost{}, lose: func(ev *pb.Event) bool { return isNotice(ev) && first.CompareAndSwap(false, true) }}
	dir := t.TempDir()
	s := receivingSession(t, d, h, dir)
	ctx := context.Background()
	// notices are the IDs of bob's notices the host had, and how many.
	notices := func() (map[string]bool, int) {
		ids, n := map[string]bool{}, 0
		for _, ev := range h.events() {
			if isNotice(ev) {
				ids[ev.EventId] = true
				n++
			}
		}
		return ids, n
	}

	d.Fail(bob, "IDENTITY_FAILURE") // bob's new key
	d.DeliverUntrusted(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob"})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, n := notices(); n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the message that could not be read told no notice")
		}
	}
	// Told, its confirmation lost; the plugin restarted (its telling
	// over, drained at the disconnection): the name is kept in the
	// login's folder.
	if err := s.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	again := dialedSession(t, d, h, dir)
	if _, err := again.SendMessage(ctx, sdk.Call{ChatID: bob}, &pb.SendMessage{Text: "hi"}); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
		t.Fatalf("a send to bob, his new key not trusted: %v, want it refused", err)
	}
	if ids, n := notices(); n != 2 || len(ids) != 1 {
		t.Fatalf("bob's notice given the host %d times under %v; want twice under one ID", n, ids)
	}
	if kept := loadUntrustedNames(dir, nil).m; len(kept) != 0 {
		t.Fatalf("the notice confirmed, its name is still kept: %v", kept)
	}
}
