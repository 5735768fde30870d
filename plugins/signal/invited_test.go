package signal_test

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Someone adds the user to a group without the user's profile key:
// Signal makes the user a pending member (invited), who must accept on
// the phone before the group's messages come. The user is told, in the
// inviter's chat, by whom, to which group and what to do; before, the
// update was told as a removal from a room the gateway did not have,
// so nothing at all, and the group stayed out of sight.
func TestGroupInvitationTold(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	gid := invitedGroup(d)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob", DataMessage: &fakesignal.DataMessage{
		GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "UPDATE"}}})
	ev := s.next(func(ev *pb.Event) bool { return ev.GetChatRemoved() != nil || isInvitation(ev) })
	if ev.GetChatRemoved() != nil || ev.ChatId != bob || ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT ||
		!strings.Contains(ev.GetMessage().Text, "Book club") || !strings.Contains(ev.GetMessage().Text, "on your phone") {
		t.Fatalf("an invitation to a group: %v, want a notice in bob's chat naming the group and what to do", ev)
	}
}

// invitedGroup is the ID of a new group "Book club" in which bob, its
// admin, invited alice.
func invitedGroup(d *fakesignal.Daemon) string {
	gid := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: gid, Name: "Book club",
		Members: []fakesignal.Member{{Number: bob, UUID: bobACI, Admin: true}},
		Pending: []fakesignal.Member{{Number: alice, UUID: aliceACI}}})
	return gid
}

// isInvitation reports whether ev is the notice of an invitation.
func isInvitation(ev *pb.Event) bool {
	return strings.Contains(ev.GetMessage().GetText(), "invited")
}

// The group list the phone sends right after a link names the groups
// the user is invited to: each invitation is told, in an admin's chat
// (signal-cli does not say who invited), once: not again when the phone
// sends its list again after a restart. Before, only an invitation that
// came while the gateway ran was told.
func TestGroupInvitationInSyncTold(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	gid := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: gid, Name: "Book club",
		Members: []fakesignal.Member{{Number: carol, UUID: carolACI}, {Number: bob, UUID: bobACI, Admin: true}},
		Pending: []fakesignal.Member{{Number: alice, UUID: aliceACI}}})
	sync := func() {
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{Type: "GROUPS_SYNC"}})
	}
	sync()
	ev := s.next(isInvitation)
	text := ev.GetMessage().Text
	if ev.ChatId != bob || ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT || !strings.Contains(text, "Book club") ||
		!strings.Contains(text, hexGroup(gid)) || !strings.Contains(text, "decline") {
		t.Fatalf("an invitation in the synced groups: %v, want a notice in bob's (an admin's) chat naming the group and its room", ev)
	}
	s.evs.Ack(ev.Seq)

	s.crash()
	sync()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("after the sync")}})
	// The notice before, if its ack did not reach the plugin before the
	// kill, comes again under its seq, and, if the kill came before the
	// plugin had the host's confirmation, under a new seq with its
	// event_id, a copy the host drops: no new telling.
	told := ev
	if ev := s.next(func(ev *pb.Event) bool {
		return (isInvitation(ev) && ev.Seq > told.Seq && ev.EventId != told.EventId) || isText("after the sync")(ev)
	}); isInvitation(ev) {
		t.Fatalf("the invitation told again after a restart: %v", ev)
	}
}

// Joining an invited group's room from XMPP accepts the invitation
// (signal-cli's updateGroup with the group alone): the group's room
// comes, the user a member. Before, the join was refused (not found),
// only the phone could accept.
func TestGroupInvitationAcceptedByJoin(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	gid := invitedGroup(d)
	group := hexGroup(gid)
	res := s.do(group, &pb.JoinChat{Nick: "alice"})
	if res.Error != nil {
		t.Fatalf("joining the room of a group the user is invited to: %v", res.Error)
	}
	if r, ok := lastRequest(d, "updateGroup"); !ok || len(r.Params) != 1 || r.Params["groupId"] != gid {
		t.Fatalf("the invitation accepted by %v, want updateGroup with the group ID alone", r.Params)
	}
	ev := s.next(func(ev *pb.Event) bool { return ev.GetChat() != nil && ev.ChatId == group })
	self := false
	for _, m := range ev.GetChat().Chat.Members {
		self = self || (m.IsSelf && m.UserId == alice)
	}
	if !self || ev.GetChat().Chat.Name != "Book club" {
		t.Fatalf("the group joined: %v, want it with the user a member", ev.GetChat().Chat)
	}
	if g, _ := d.GetGroup(alice, gid); len(g.Pending) != 0 {
		t.Fatalf("still invited after the join: %v", g.Pending)
	}
}

// Joining it with the password "decline" declines the invitation
// (signal-cli's quitGroup of a group the account is invited to): the
// join fails saying so, no room comes, and the user is invited no more.
func TestGroupInvitationDeclinedByJoin(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	gid := invitedGroup(d)
	res := s.do(hexGroup(gid), &pb.JoinChat{Nick: "alice", Password: "Decline"})
	wantRefused(t, "a join declining an invitation", res, pb.ErrorCode_ERROR_CODE_NOT_FOUND, "declined", "Book club")
	if d.Calls("quitGroup") != 1 || d.Calls("updateGroup") != 0 {
		t.Fatalf("quitGroup %d, updateGroup %d: want the invitation declined, not accepted", d.Calls("quitGroup"), d.Calls("updateGroup"))
	}
	if g, ok := d.GetGroup(alice, gid); !ok || len(g.Pending) != 0 || len(g.Members) != 1 {
		t.Fatalf("the group after declining: %v", g)
	}
	// Neither in it nor invited: a join is refused.
	res = s.do(hexGroup(gid), &pb.JoinChat{Nick: "alice"})
	wantRefused(t, "a join of a group the user declined", res, pb.ErrorCode_ERROR_CODE_NOT_FOUND, "neither in nor invited")
}

// A decline the user's client sends to the group's room (DeclineInvite,
// XEP-0045's decline) declines the invitation as the password "decline"
// does (quitGroup), with no join: the user is invited no more, and a
// second decline is refused as naming no invitation. A group the user is
// in is refused (leaving is /leave), and nothing goes to Signal.
func TestGroupInvitationDeclined(t *testing.T) {
	d, member := startFake(t)
	s := newSession(t, d)
	gid := invitedGroup(d)
	if res := s.do(hexGroup(gid), &pb.DeclineInvite{Reason: "not for me"}); res.Error != nil {
		t.Fatalf("declining an invitation: %v", res.Error)
	}
	if d.Calls("quitGroup") != 1 || d.Calls("updateGroup") != 0 {
		t.Fatalf("quitGroup %d, updateGroup %d: want the invitation declined, not accepted", d.Calls("quitGroup"), d.Calls("updateGroup"))
	}
	if g, ok := d.GetGroup(alice, gid); !ok || len(g.Pending) != 0 {
		t.Fatalf("the group after declining: %v", g)
	}
	res := s.do(hexGroup(gid), &pb.DeclineInvite{})
	wantRefused(t, "a second decline", res, pb.ErrorCode_ERROR_CODE_NOT_FOUND, "not invited")
	res = s.do(hexGroup(member), &pb.DeclineInvite{})
	wantRefused(t, "a decline of a group the user is in", res, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "/leave")
	if d.Calls("quitGroup") != 1 {
		t.Fatalf("quitGroup asked %d times, want 1", d.Calls("quitGroup"))
	}
}

// An invitation from the phone's group list has no time of its own
// (signal-cli's listGroups gives no revision nor anything of the
// invitation): its event ID must still differ when the user, having
// declined it, is invited again, else the gateway drops the new one as
// the one it has shown. Before, both were "invited-<group>-0".
func TestGroupInvitationRenewedInSyncTold(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	gid := invitedGroup(d)
	sync := func() {
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{Type: "GROUPS_SYNC"}})
	}
	invited := func(ev *pb.Event) bool { return ev.GetInvited() != nil && ev.ChatId == hexGroup(gid) }
	sync()
	first := s.next(isInvitation)
	firstInvited := s.next(invited)
	if first.EventId == "" || first.TimestampUnixMicro == 0 {
		t.Fatalf("the invitation's notice: %v, want an event ID and a time", first)
	}
	if res := s.do(hexGroup(gid), &pb.DeclineInvite{}); res.Error != nil {
		t.Fatalf("declining: %v", res.Error)
	}
	invitedGroupAgain(d, gid)
	sync()
	again := s.next(isInvitation)
	againInvited := s.next(invited)
	if again.EventId == first.EventId || againInvited.EventId == firstInvited.EventId {
		t.Fatalf("the invitation renewed after a decline has the IDs %q, %q, as the first one (%q, %q): the gateway drops it",
			again.EventId, againInvited.EventId, first.EventId, firstInvited.EventId)
	}
}

// invitedGroupAgain has bob invite alice to the group gid again.
func invitedGroupAgain(d *fakesignal.Daemon, gid string) {
	d.SetGroup(alice, fakesignal.Group{ID: gid, Name: "Book club",
		Members: []fakesignal.Member{{Number: bob, UUID: bobACI, Admin: true}},
		Pending: []fakesignal.Member{{Number: alice, UUID: aliceACI}}})
}
