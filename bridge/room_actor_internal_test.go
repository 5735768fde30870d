package bridge

import (
	"context"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A member kicked or banned by another member, or by the user, names who
// did it in the item's <actor nick/> before the reason (XEP-0045 §9.1.6,
// §9.2), which Gajim and Conversations show as "kicked by"; one who left
// by itself, or a removal whose sender is unknown, names no actor.
func TestRoomRemovalActor(t *testing.T) {
	tr, s, _ := roomFixture(t)
	ctx := context.Background()
	ev := groupEv(&pb.MemberEvent{Kind: pb.MemberEvent_KIND_KICKED, Member: &pb.Member{UserId: "echo-1"}, Reason: "rude"})
	ev.Sender = &pb.Sender{UserId: "echo-2"}
	out := tr.renderRoom(ctx, delivery{ev: ev}, s)
	allHave(t, "kicked by Two", out, 2, `from="g1@echo.localhost/One"`, `code="307"`, `<actor nick="Two"/><reason>rude</reason>`)

	ev = groupEv(&pb.MemberEvent{Kind: pb.MemberEvent_KIND_BANNED, Member: &pb.Member{UserId: "echo-2"}})
	ev.Sender = &pb.Sender{UserId: "alice-echo", IsFromMe: true}
	out = tr.renderRoom(ctx, delivery{ev: ev}, s)
	allHave(t, "banned by the user", out, 2, `from="g1@echo.localhost/Two"`, `code="301"`, `<actor nick="Alice"/>`)

	tr, s, _ = roomFixture(t)
	for _, c := range []struct {
		what string
		ev   *pb.Event
	}{
		{"left", groupEv(&pb.MemberEvent{Kind: pb.MemberEvent_KIND_LEFT, Member: &pb.Member{UserId: "echo-1"}})},
		{"kicked, no sender", groupEv(&pb.MemberEvent{Kind: pb.MemberEvent_KIND_KICKED, Member: &pb.Member{UserId: "echo-2"}})},
	} {
		c.ev.Sender = &pb.Sender{UserId: "echo-1"}
		if c.what == "kicked, no sender" {
			c.ev.Sender = nil
		}
		for _, b := range tr.renderRoom(ctx, delivery{ev: c.ev}, s) {
			if strings.Contains(string(b), "<actor") {
				t.Errorf("%s: an actor: %s", c.what, b)
			}
		}
	}
}

// The user kicked by a member: the self-presence names the member as the
// actor; kicked with no sender, none.
func TestRoomUserKickedActor(t *testing.T) {
	tr, s, _ := roomFixture(t)
	ev := groupEv(&pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_KICKED, Text: "spam"})
	ev.Sender = &pb.Sender{UserId: "echo-1"}
	out := tr.renderRoom(context.Background(), delivery{ev: ev}, s)
	allHave(t, "kicked by One", out, 2, `code="110"`, `code="307"`, `<actor nick="One"/><reason>spam</reason>`)

	tr, s, _ = roomFixture(t)
	out = tr.renderRoom(context.Background(), delivery{ev: groupEv(&pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_KICKED})}, s)
	allHave(t, "kicked", out, 2, `code="307"`)
	for _, b := range out {
		if strings.Contains(string(b), "<actor") {
			t.Errorf("an actor without a sender: %s", b)
		}
	}
}
