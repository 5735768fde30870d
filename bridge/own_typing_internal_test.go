package bridge

import (
	"context"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestOwnTypingNotShown: the user typing on their phone (a typing event
// of their own, in a direct chat) is not shown; a contact's is. Before,
// without XEP-0356 it went out from the contact: the user's client showed
// the contact typing whenever the user typed to them on the phone.
func TestOwnTypingNotShown(t *testing.T) {
	tr, _ := aliceOnEcho(t)
	ctx := context.Background()
	ev := func(id string, me bool) *pb.Event {
		return &pb.Event{LoginId: "l", ChatId: "bob", ChatType: pb.ChatType_CHAT_TYPE_DIRECT, EventId: id,
			Sender:  &pb.Sender{UserId: "bob", IsFromMe: me},
			Payload: &pb.Event_Typing{Typing: &pb.TypingEvent{State: pb.TypingState_TYPING_STATE_COMPOSING}}}
	}
	if out := tr.render(ctx, delivery{ev: ev("t1", true), xid: "x1"}); len(out) != 0 {
		t.Errorf("the user's own typing was shown: %s", out)
	}
	if out := tr.render(ctx, delivery{ev: ev("t2", false), xid: "x2"}); len(out) != 1 {
		t.Errorf("the contact's typing: %d stanzas", len(out))
	}
}
