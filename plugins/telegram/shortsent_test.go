package telegram

import (
	"fmt"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Telegram answers a text sent to a user or a basic group with
// updateShortSentMessage, which names no chat (gotd's manager passes it
// on as an empty message). The message's chat is still kept: a deletion
// names only the message's ID, and the deletion for everyone of a text
// the user sent from XMPP (from their phone, or by the contact) reaches
// the XMPP clients, in a private chat and in a basic group.
func TestShortSentDeletion(t *testing.T) {
	srv := newFake(t)
	srv.SetShortSentAnswers(true)
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	for _, chat := range []string{"1002", "-77"} {
		res, err := s.SendMessage(ctx, sdk.Call{ChatID: chat, TxnID: "short-" + chat}, &pb.SendMessage{Text: "soon gone"})
		if err != nil {
			t.Fatal(err)
		}
		id, err := msgID(res.MessageID)
		if err != nil {
			t.Fatal(err)
		}
		gid := srv.GID(alice.ID, id)
		if gid == 0 {
			t.Fatalf("%s: message %s is not in alice's box", chat, res.MessageID)
		}
		from := h.count()
		srv.Delete(gid)
		ev := h.wait(t, from, "the deletion in "+chat, func(ev *pb.Event) bool {
			return ev.GetRetraction().GetTargetId() == res.MessageID
		})
		if ev.ChatId != chat {
			t.Errorf("deletion in chat %q, want %q", ev.ChatId, chat)
		}
	}
}

// The gateway's own text, answered short, leaves no note of it behind:
// the answer's update (an empty message once gotd's manager has it)
// takes it, as a full message's update does; it was kept for the
// plugin's life, one per message sent to a person or a basic group.
func TestShortSentNotKept(t *testing.T) {
	srv := newFake(t)
	srv.SetShortSentAnswers(true)
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	for i, chat := range []string{"1002", "-77"} {
		if _, err := s.SendMessage(ctx, sdk.Call{ChatID: chat, TxnID: "kept-" + chat}, &pb.SendMessage{Text: "hello " + chat}); err != nil {
			t.Fatal(err)
		}
		// The manager handles updates in pts order: bob's next message
		// comes after the send's.
		from := h.count()
		srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, fmt.Sprintf("after %d", i))
		h.wait(t, from, "bob's message", isMessage("1002", fmt.Sprintf("after %d", i)))
	}
	s.sent.mu.Lock()
	defer s.sent.mu.Unlock()
	if len(s.sent.ids) != 0 {
		t.Errorf("sends still noted as in flight: %v", s.sent.ids)
	}
}
