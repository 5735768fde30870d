package bridge

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/muc"
	pb "passerelle.im/passerelle/plugins/proto"
)

// guestMessage is a room message from a sender the member list may not
// hold.
func guestMessage(id, name, text string) *pb.Event {
	ev := groupEv(nil)
	ev.EventId = "ev-" + id + "-" + text
	ev.Sender = &pb.Sender{UserId: id, Name: name}
	ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}
	return ev
}

// A message from someone who is not a member (left, or the list not
// synced) shows under a nick of theirs, which a member joining later with
// the same name takes plain: before, the sender held it for good and the
// member got a suffix ("Three (k3x9)"). The former sender, seen again,
// gets another nick.
func TestRoomGuestYieldsNickToMember(t *testing.T) {
	tr, s, _ := roomFixture(t)
	ctx := context.Background()
	out := tr.renderRoom(ctx, delivery{ev: guestMessage("gone-3", "Three", "before leaving")}, s)
	allHave(t, "a non-member's message", out, 2, `from="g1@echo.localhost/Three"`, "before leaving")
	out = tr.renderRoom(ctx, delivery{ev: groupEv(&pb.MemberEvent{Kind: pb.MemberEvent_KIND_JOINED, Member: &pb.Member{UserId: "echo-3", Nick: "Three"}})}, s)
	allHave(t, "a member joining as Three", out, 2, `from="g1@echo.localhost/Three"`)
	out = tr.renderRoom(ctx, delivery{ev: guestMessage("gone-3", "Three", "late")}, s)
	allHave(t, "the non-member again", out, 2, `from="g1@echo.localhost/Three (`, "late")
}

// The nicks of senders who are not members are held for the muc.MaxGuests
// seen last, not for good: a long-lived room's nick table stays bounded,
// a sender seen lately keeps its nick, and one who becomes a member keeps
// it as a member's.
func TestRoomGuestNicksBounded(t *testing.T) {
	_, s, r := roomFixture(t)
	r.mu.Lock()
	defer r.mu.Unlock()
	nick := func(id, name string) string {
		return r.senderNickLocked(s, &pb.Sender{UserId: id, Name: name})
	}
	regular := nick("regular", "Regular")
	joiner := nick("joiner", "Joiner")
	r.members["joiner"] = &pb.Member{UserId: "joiner"}
	r.nicks.Assign("joiner", "Joiner") // as a member event does
	for i := range 3 * muc.MaxGuests {
		nick(fmt.Sprintf("passer-%d", i), fmt.Sprintf("Passer %d", i))
		if i%100 == 0 && nick("regular", "Regular") != regular {
			t.Fatalf("a sender seen lately changed nick after %d others", i)
		}
	}
	// The user, two members, the member who was a guest, the guests.
	if got, most := r.nicks.Len(), 4+muc.MaxGuests; got > most {
		t.Errorf("%d nicks held after %d non-members spoke; want at most %d", got, 3*muc.MaxGuests, most)
	}
	if got, ok := r.nicks.Nick("joiner"); !ok || got != joiner {
		t.Errorf("a guest who became a member lost its nick: %q %v, want %q", got, ok, joiner)
	}
	if _, ok := r.nicks.Nick("passer-0"); ok {
		t.Error("the first passer-by still holds a nick")
	}
	if id, ok := r.nicks.MemberOf("Passer 0"); ok {
		t.Errorf("Passer 0 is still %q's", id)
	}
	if got := nick("passer-0", "Passer 0"); got != "Passer 0" || strings.Contains(got, "(") {
		t.Errorf("a forgotten sender back: %q", got)
	}
}

// A nick change of the user to a guest's nick is no conflict: the guest
// yields it once the network renames the user (it was refused with
// conflict). A member's nick still is one; the user's own is not.
func TestRoomGuestNickNoConflict(t *testing.T) {
	tr, s, r := roomFixture(t)
	ctx := context.Background()
	tr.renderRoom(ctx, delivery{ev: guestMessage("gone-3", "Three", "hi")}, s)
	r.mu.Lock()
	self := r.ownNickLocked(s)
	three, one, own := r.nickTakenLocked("Three"), r.nickTakenLocked("One"), r.nickTakenLocked(self)
	r.mu.Unlock()
	if three || !one || own {
		t.Errorf("taken: a guest's %v, a member's %v, the user's own %v; want false, true, false", three, one, own)
	}
	out := tr.renderRoom(ctx, delivery{ev: groupEv(&pb.MemberEvent{Kind: pb.MemberEvent_KIND_RENAMED, Member: &pb.Member{UserId: "alice-echo", IsSelf: true, Nick: "Three"}})}, s)
	allHave(t, "the user renamed to the guest's nick", out, 4, `code="110"`)
	if !strings.Contains(string(out[1]), `from="g1@echo.localhost/Three"`) {
		t.Errorf("the user's new nick: %s, want Three", out[1])
	}
}
