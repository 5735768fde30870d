package whatsapp

import (
	"context"
	"slices"
	"testing"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"

	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A group's changes beyond its members, name, topic and timer are said in
// its room, as the apps say them in the chat, from whoever made them:
// who may send messages, edit the group's info or add members, whether
// admins approve newcomers (read from the group again: whatsmeow's event
// says only that it changed), a new invite link; a suspension and its
// end, WhatsApp's doing, from the room itself, the room read-only
// meanwhile. They were ignored, or changed the room's features without a
// word. A notification listing a setting as it was says nothing of it.
// Each through WhatsApp's w:gp2 notification, encoded and parsed by
// whatsmeow (wafake.NotifyGroup).
func TestGroupNoticesFromWire(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	g := friendsGroup()
	fake.SetGroup(g)
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	aliceID := "+" + alice.User
	// notices is what a notification says in the room: its lines, as
	// "sender: text", once its events are in (a room change among them
	// when withChat).
	notices := func(what string, withChat bool, notify func() error) ([]string, *pb.Chat) {
		t.Helper()
		from := r.host.count()
		if err := notify(); err != nil {
			t.Fatal(err)
		}
		// A fence: a line the plugin emits after the notification's.
		fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: alice, IsGroup: true}, ID: "FENCE-" + what, Timestamp: when},
			&waE2E.Message{Conversation: proto.String("fence")})
		_, end := r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "FENCE-"+what })
		var lines []string
		var chat *pb.Chat
		for _, ev := range r.host.since(from)[:end-from] {
			if ev.ChatId != group.String() {
				continue
			}
			if m := ev.GetMessage(); m != nil {
				lines = append(lines, ev.GetSender().GetUserId()+": "+m.Text)
			}
			if c := ev.GetChat(); c != nil {
				chat = c.GetChat()
			}
		}
		if withChat && chat == nil {
			t.Errorf("%s: no room change", what)
		}
		return lines, chat
	}
	want := func(what string, got []string, lines ...string) {
		t.Helper()
		if !slices.Equal(got, lines) {
			t.Errorf("%s: said %q, want %q", what, got, lines)
		}
	}

	got, _ := notices("announce", true, func() error {
		return fake.NotifyGroup(group, alice, waBinary.Node{Tag: "announcement", Attrs: waBinary.Attrs{"v_id": "1"}})
	})
	want("announcement", got, aliceID+": "+announceOnText)

	// Every setting listed, the lock alone changed.
	cp := *g
	cp.IsAnnounce, cp.IsLocked = true, true
	got, _ = notices("locked", true, func() error { return fake.NotifyGroupSettings(&cp, alice) })
	want("locked", got, aliceID+": "+lockedOnText)

	cp.MemberAddMode = types.GroupMemberAddModeAdmin
	got, _ = notices("add mode", true, func() error { return fake.NotifyGroupSettings(&cp, alice) })
	want("admins add", got, aliceID+": "+addAdminText)

	cp.IsAnnounce, cp.IsLocked, cp.MemberAddMode = false, false, types.GroupMemberAddModeAllMember
	got, _ = notices("all", true, func() error { return fake.NotifyGroupSettings(&cp, alice) })
	want("all lifted", got, aliceID+": "+announceOffText, aliceID+": "+lockedOffText, aliceID+": "+addAllText)

	// Approval: the group read again says which way.
	fake.Group(group).IsJoinApprovalRequired = true
	got, _ = notices("approval", false, func() error {
		return fake.NotifyGroup(group, alice, waBinary.Node{Tag: "membership_approval_mode",
			Content: []waBinary.Node{{Tag: "group_join", Attrs: waBinary.Attrs{"state": "on"}}}})
	})
	want("approval on", got, aliceID+": "+approvalOnText)
	fake.Group(group).IsJoinApprovalRequired = false
	got, _ = notices("approval off", false, func() error {
		return fake.NotifyGroup(group, alice, waBinary.Node{Tag: "membership_approval_mode",
			Content: []waBinary.Node{{Tag: "group_join", Attrs: waBinary.Attrs{"state": "off"}}}})
	})
	want("approval off", got, aliceID+": "+approvalOffText)

	got, _ = notices("invite", false, func() error {
		return fake.NotifyGroup(group, alice, waBinary.Node{Tag: "invite", Attrs: waBinary.Attrs{"code": "NeWc0de"}})
	})
	want("new link", got, aliceID+": "+inviteResetText+"https://chat.whatsapp.com/NeWc0de")

	got, chat := notices("suspended", true, func() error {
		return fake.NotifyGroup(group, types.EmptyJID, waBinary.Node{Tag: "suspended"})
	})
	want("suspended", got, ": "+suspendedText)
	if chat != nil && !chat.ReadOnly {
		t.Errorf("suspended: the room is not read-only: %v", chat)
	}
	got, chat = notices("unsuspended", true, func() error {
		return fake.NotifyGroup(group, types.EmptyJID, waBinary.Node{Tag: "unsuspended"})
	})
	want("restored", got, ": "+unsuspendedText)
	if chat != nil && chat.ReadOnly {
		t.Errorf("restored: the room is still read-only: %v", chat)
	}
}

// A request to join a group whose admins approve newcomers is told to
// its admins (<created_membership_requests>, which whatsmeow leaves
// unparsed): the room says who asked, by name and number (the number
// beside their LID), to approve on the phone, where nothing was said.
func TestGroupJoinRequestNotice(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	setApprovalGroup(fake)
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	requester := types.NewJID("33633333333", types.DefaultUserServer)
	from := r.host.count()
	if err := fake.NotifyGroup(group, aliceLID, waBinary.Node{Tag: "created_membership_requests", Attrs: waBinary.Attrs{"request_method": "invite_link"},
		Content: []waBinary.Node{{Tag: "requested_user", Attrs: waBinary.Attrs{"jid": types.NewJID("99933333333", types.HiddenUserServer), "phone_number": requester}}}}); err != nil {
		t.Fatal(err)
	}
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != group.String() || ev.GetSender().GetUserId() != "" || ev.GetMessage().Text != "+33633333333"+joinRequestText {
		t.Errorf("join request: %v", ev)
	}
}
