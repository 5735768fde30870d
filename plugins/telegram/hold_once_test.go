package telegram

import (
	"testing"
	"time"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// TestSlowAnswerWaitedForOnce: a message from the user in a chat
// where a send waits for Telegram's answer waits for that answer (it
// may be the send's), at most HoldFor, and holds the login's updates of
// its sequence meanwhile (every private chat and basic group). Once a
// wait for that send ran out, the user's next messages from another app
// in the chat no longer wait for it again: each held every private chat
// another HoldFor (30 s), for as long as the answer did not come.
func TestSlowAnswerWaitedForOnce(t *testing.T) {
	setHoldFor(t, time.Second)
	srv := newFake(t)
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	from := h.count()
	pushed, release := srv.UpdateBeforeAnswer("messages.sendMessage")
	t.Cleanup(release)
	done := make(chan error, 1)
	go func() {
		_, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002"}, &pb.SendMessage{Text: "slow to answer"})
		done <- err
	}()
	select {
	case <-pushed:
	case <-time.After(20 * time.Second):
		t.Fatal("no messages.sendMessage in 20 s")
	}
	// The send's own update waited HoldFor for the answer, in vain.
	h.wait(t, from, "the send's update, once its wait ran out", isMessage("1002", "slow to answer"))
	for _, text := range []string{"phone 1", "phone 2", "phone 3"} {
		srv.Send(alice.ID, bobPeer, text)
	}
	sent := time.Now()
	srv.Send(carol.ID, &tg.PeerUser{UserID: alice.ID}, "from carol")
	h.wait(t, from, "carol's message", isMessage("1003", "from carol"))
	// Before, it came 3 s later (or when gotd sent the request again,
	// about 5 s after the first, and the fake answered that).
	if took := time.Since(sent); took > 1800*time.Millisecond {
		t.Errorf("carol's message came %v after it was sent: held behind the user's messages from their phone, each waiting HoldFor (1 s) again for the same unanswered send", took)
	}
	for _, text := range []string{"phone 1", "phone 2", "phone 3"} {
		if ev := h.wait(t, from, text, isMessage("1002", text)); !ev.GetSender().GetIsFromMe() {
			t.Errorf("%s: sender %v, want the user", text, ev.GetSender())
		}
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
