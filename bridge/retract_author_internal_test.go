package bridge

import (
	"context"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestRetractionFromAuthor: a network's retraction in a direct chat goes
// from the retracted message's author, whoever the event names: clients
// take a retraction only from the message's sender (XEP-0424). The
// user's own message deleted with no sender named (Telegram's deletions
// name nobody) goes as the user with XEP-0356, and not at all without
// it; the contact's message deleted from the user's phone goes from the
// contact. Before, the first went from the contact (refused, or its
// fallback shown as the contact's words) and the second, with the
// privilege, as the user.
func TestRetractionFromAuthor(t *testing.T) {
	tr, _ := aliceOnEcho(t)
	ctx := context.Background()
	must(t, tr.db.PutMessages(ctx, []store.MessageRef{
		{Transport: "echo", LoginID: "l", ChatID: "bob", RemoteID: "mine", OriginID: "o1", ID: "o1", FromMe: true},
		{Transport: "echo", LoginID: "l", ChatID: "bob", RemoteID: "bobs", ID: "x-bob"},
	}))
	retract := func(id, target string, me bool) string {
		ev := &pb.Event{LoginId: "l", ChatId: "bob", ChatType: pb.ChatType_CHAT_TYPE_DIRECT, EventId: id,
			Payload: &pb.Event_Retraction{Retraction: &pb.RetractionEvent{TargetId: target}}}
		if me {
			ev.Sender = &pb.Sender{UserId: "me", IsFromMe: true}
		}
		return string(joinOut(tr.render(ctx, delivery{ev: ev, xid: "x-" + id})))
	}
	const fromBob = `<message from="bob@echo.localhost" to="alice@localhost" type="chat"`
	const asAlice = `<message xmlns="jabber:client" from="alice@localhost" to="bob@echo.localhost" type="chat"`

	// Without XEP-0356.
	if got := retract("d1", "mine", false); got != "" {
		t.Errorf("the user's message retracted from the contact: %s", got)
	}
	if got := retract("d2", "bobs", true); !strings.Contains(got, fromBob) || !strings.Contains(got, `<retract xmlns="urn:xmpp:message-retract:1" id="x-bob"/>`) {
		t.Errorf("the contact's message deleted from the phone: want a retraction from the contact, got %q", got)
	}
	// With it.
	tr.perms = perms{ns: "urn:xmpp:privilege:2", message: "outgoing"}
	if got := retract("d3", "mine", false); !strings.Contains(got, asAlice) || !strings.Contains(got, `id="o1"`) {
		t.Errorf("the user's message deleted, no sender named: want a retraction as the user, got %q", got)
	}
	if got := retract("d4", "bobs", true); !strings.Contains(got, fromBob) || strings.Contains(got, "privilege") {
		t.Errorf("the contact's message deleted from the phone: want a retraction from the contact, got %q", got)
	}
}

func joinOut(out [][]byte) []byte {
	var b []byte
	for _, o := range out {
		b = append(b, o...)
	}
	return b
}
