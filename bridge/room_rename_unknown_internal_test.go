package bridge

import (
	"context"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestRoomRenameOfUnknownMember: the network renames a member the room
// never heard join (its join untold, or the member list taken before
// it). The member joins the room under the new nick, on each joined
// resource, and their messages come from it. The rename was dropped:
// the user never saw the member, whose words came from a nick no
// occupant held, until the room's next sync.
func TestRoomRenameOfUnknownMember(t *testing.T) {
	tr, s, r := roomFixture(t)
	ctx := context.Background()
	out := tr.renderRoom(ctx, delivery{ev: groupEv(&pb.MemberEvent{Kind: pb.MemberEvent_KIND_RENAMED,
		Member: &pb.Member{UserId: "echo-3", Nick: "Trois"}})}, s)
	allHave(t, "a rename of a member not known", out, 2, `from="g1@echo.localhost/Trois"`, `role="participant"`)
	for _, b := range out {
		if strings.Contains(string(b), `type="unavailable"`) || strings.Contains(string(b), `code="303"`) {
			t.Errorf("a member never shown leaves an old nick: %s", b)
		}
	}
	r.mu.Lock()
	_, known := r.members["echo-3"]
	id, held := r.nicks.MemberOf("Trois")
	r.mu.Unlock()
	if !known || !held || id != "echo-3" {
		t.Fatalf("the room does not hold echo-3 as Trois: member %v, nick held by %q", known, id)
	}
	ev := groupEv(nil)
	ev.EventId, ev.Sender = "m-trois", &pb.Sender{UserId: "echo-3"}
	ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: "bonjour"}}
	allHave(t, "the member's message", tr.renderRoom(ctx, delivery{ev: ev}, s), 2, `from="g1@echo.localhost/Trois"`, "bonjour")
}
