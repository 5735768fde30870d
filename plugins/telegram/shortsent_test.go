package telegram

import (
	"testing"

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
