package signal

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Signal's apps drop a contact's typing 15 s after their last STARTED,
// while XMPP clients say composing once: the user's typing is said
// again while they compose, and no more once they pause, send a message
// there, or disconnect.
func TestTypingRepeated(t *testing.T) {
	const alice, bob = "+15550000001", "+15550000002"
	d, err := fakesignal.Start(filepath.Join(t.TempDir(), "signal.sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	d.AddAccount(alice, "a11ce000-0000-4000-8000-000000000001")
	d.SetContacts(alice, fakesignal.Contact{Number: bob, UUID: "b0b00000-0000-4000-8000-000000000002", Name: "Bob"})
	n := &Network{host: &recordingHost{}, cfg: Config{Socket: d.Path()}, dataDir: t.TempDir()}
	s, err := n.LoadLogin(context.Background(), sdk.LoginInfo{LoginID: alice, SavedState: []byte(`{"number":"` + alice + `"}`), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	s.repeats.Every = 5 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Disconnect(context.Background()) })
	composing := func() {
		t.Helper()
		from := d.Calls("sendTyping")
		if err := s.SetTyping(ctx, sdk.Call{ChatID: bob}, pb.TypingState_TYPING_STATE_COMPOSING); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(20 * time.Second); d.Calls("sendTyping") < from+3; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("typing not said again: %d sendTyping", d.Calls("sendTyping")-from)
			}
		}
	}
	stopped := func(after string) {
		t.Helper()
		if n := s.typingKeeper().Repeating(); n != 0 {
			t.Errorf("after %s: %d chats with typing repeated, want none", after, n)
		}
	}
	composing()
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: bob}, &pb.SendMessage{Text: "done typing"}); err != nil {
		t.Fatal(err)
	}
	stopped("a message")
	composing()
	if err := s.SetTyping(ctx, sdk.Call{ChatID: bob}, pb.TypingState_TYPING_STATE_PAUSED); err != nil {
		t.Fatal(err)
	}
	stopped("paused")
	var last fakesignal.Request
	for _, r := range d.Requests(alice) {
		if r.Method == "sendTyping" {
			last = r
		}
	}
	if last.Params["stop"] != true {
		t.Errorf("last typing %v, want the stop of paused", last.Params)
	}
	composing()
	if err := s.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	stopped("Disconnect")
}

// Typing said late is worth nothing, and the chat's later commands wait
// for it: with signal-cli down it is refused at once, not held for the
// daemon to come back as commands are (SendWait), and with signal-cli
// hung (its socket open, no answers) it gives up after TypingWait.
// Before, it waited SendWait for a daemon down, and for as long as its
// caller let it for a hung one: here, past the caller's own deadline.
func TestTypingGivesUpFast(t *testing.T) {
	const alice, bob = "+15550000001", "+15550000002"
	d, err := fakesignal.Start(filepath.Join(t.TempDir(), "signal.sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	d.AddAccount(alice, "a11ce000-0000-4000-8000-000000000001")
	n := &Network{host: &recordingHost{}, cfg: Config{Socket: d.Path()}, dataDir: t.TempDir()}
	s, err := n.LoadLogin(context.Background(), sdk.LoginInfo{LoginID: alice, SavedState: []byte(`{"number":"` + alice + `"}`), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Disconnect(context.Background()) })
	typing := func(what string) {
		t.Helper()
		// Less than SendWait: a wait for the daemon would outlast it.
		ctx, cancel := context.WithTimeout(context.Background(), SendWait/2)
		defer cancel()
		err := s.SetTyping(ctx, sdk.Call{ChatID: bob}, pb.TypingState_TYPING_STATE_COMPOSING)
		if ctx.Err() != nil {
			t.Fatalf("typing with signal-cli %s: held until the caller gave up (%v)", what, err)
		}
		if e := sdk.ToProto(err); e.GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
			t.Fatalf("typing with signal-cli %s: %v, want unavailable", what, err)
		}
	}

	d.Stall("sendTyping")
	typing("hung")
	if len(d.StalledRequests("sendTyping")) == 0 {
		t.Fatal("typing with signal-cli hung: not asked")
	}

	d.Crash()
	for up := true; up; time.Sleep(time.Millisecond) {
		s.mu.Lock()
		up = s.up
		s.mu.Unlock()
	}
	typing("down")
}
