package telegram

import (
	"testing"
	"time"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// earlyUpdate runs cmd while the fake Telegram pushes the updates of
// its answer (request name) to the plugin before the answer itself
// (UpdateBeforeAnswer), and returns cmd's result and the events the
// plugin emitted meanwhile, up to a message bob sends after it: the
// plugin has handled every update before that message by then.
func earlyUpdate(t *testing.T, srv *tgfake.Server, h *testHost, name string, cmd func() (sdk.Result, error)) (sdk.Result, []*pb.Event) {
	t.Helper()
	from := h.count()
	pushed, release := srv.UpdateBeforeAnswer(name)
	t.Cleanup(release)
	type answer struct {
		res sdk.Result
		err error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := cmd()
		done <- answer{res, err}
	}()
	select {
	case <-pushed:
	case <-time.After(20 * time.Second):
		t.Fatalf("no %s in 20 s", name)
	}
	// The plugin has the update; give it time to act on it (a fault
	// shows now) before Telegram's answer comes.
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) && h.count() == from {
		time.Sleep(20 * time.Millisecond)
	}
	release()
	var a answer
	select {
	case a = <-done:
	case <-time.After(40 * time.Second):
		t.Fatalf("%s: no answer in 40 s", name)
	}
	if a.err != nil {
		t.Fatalf("%s: %v", name, a.err)
	}
	srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, "after "+name)
	h.wait(t, from, "bob's message after "+name, isMessage("1002", "after "+name))
	h.mu.Lock()
	defer h.mu.Unlock()
	var evs []*pb.Event
	for _, ev := range h.events[from:] {
		if !isMessage("1002", "after "+name)(ev) {
			evs = append(evs, ev)
		}
	}
	return a.res, evs
}

// A message the gateway sends, and a correction it makes, whose update
// comes before Telegram's answer to messages.sendMessage
// (messages.editMessage) are still the gateway's own: not shown again as
// the user's from another device. The send is known by its random_id
// before Telegram is asked: a message from the user in its chat waits for
// the answer to name it; the edit by its message's ID.
func TestUpdateBeforeAnswer(t *testing.T) {
	srv := newFake(t)
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	c := sdk.Call{ChatID: "1002"}

	res, evs := earlyUpdate(t, srv, h, "messages.sendMessage", func() (sdk.Result, error) {
		return s.SendMessage(ctx, c, &pb.SendMessage{Text: "sent once"})
	})
	if res.MessageID == "" {
		t.Fatalf("send: no message ID")
	}
	for _, ev := range evs {
		t.Errorf("send whose update came first: event %v, want none (the result named the message)", ev)
	}

	// Under a txn too (its note in the database).
	res2, evs := earlyUpdate(t, srv, h, "messages.sendMessage", func() (sdk.Result, error) {
		return s.SendMessage(ctx, sdk.Call{ChatID: "1002", TxnID: "txn-early"}, &pb.SendMessage{Text: "sent once under a txn"})
	})
	if res2.MessageID == "" || res2.MessageID == res.MessageID {
		t.Fatalf("send under a txn: message ID %q (the first %q)", res2.MessageID, res.MessageID)
	}
	for _, ev := range evs {
		t.Errorf("send under a txn whose update came first: event %v, want none", ev)
	}

	_, evs = earlyUpdate(t, srv, h, "messages.editMessage", func() (sdk.Result, error) {
		return s.EditMessage(ctx, c, &pb.EditMessage{TargetId: res.MessageID, Text: "sent once, corrected"})
	})
	for _, ev := range evs {
		t.Errorf("edit whose update came first: event %v, want none (the gateway made it)", ev)
	}
	if ms := srv.Messages(alice.ID); len(ms) == 0 || !hasText(ms, "sent once, corrected") {
		t.Errorf("the fake Telegram has no corrected message")
	}

	// A message the user sends from another app while a send waits for
	// its answer is still theirs from another device, once the answer
	// came: only the gateway's own is left out.
	pushed, release := srv.UpdateBeforeAnswer("messages.sendMessage")
	t.Cleanup(release)
	from := h.count()
	done := make(chan error, 1)
	go func() {
		_, err := s.SendMessage(ctx, c, &pb.SendMessage{Text: "mine, in flight"})
		done <- err
	}()
	<-pushed
	srv.Send(alice.ID, bobPeer, "from my phone meanwhile")
	time.Sleep(200 * time.Millisecond)
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ev := h.wait(t, from, "the message from the phone", isMessage("1002", "from my phone meanwhile"))
	if !ev.GetSender().GetIsFromMe() {
		t.Errorf("the message from the phone: sender %v, want the user", ev.GetSender())
	}
	srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, "last")
	h.wait(t, from, "bob's last message", isMessage("1002", "last"))
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range h.events[from:] {
		if ev.GetMessage().GetText() == "mine, in flight" {
			t.Errorf("the gateway's own send shown as from another device: %v", ev)
		}
	}
}

func hasText(ms []*tg.Message, text string) bool {
	for _, m := range ms {
		if m.Message == text {
			return true
		}
	}
	return false
}
