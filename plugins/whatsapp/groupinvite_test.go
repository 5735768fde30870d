package whatsapp

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

var (
	carol = types.NewJID("33633333333", types.DefaultUserServer)
	dave  = types.NewJID("33644444444", types.DefaultUserServer)
	erin  = types.NewJID("33655555555", types.DefaultUserServer)
)

// checkInvitation fails unless sent is WhatsApp's private invitation to
// group (named name) for to, with the code and expiry of the add_request
// WhatsApp answered between from and until.
func checkInvitation(t *testing.T, sent wafake.Sent, to, group types.JID, name string, from, until time.Time) {
	t.Helper()
	gi := sent.Msg.GetGroupInviteMessage()
	if sent.To != to || gi == nil {
		t.Fatalf("sent to %v: %v; want a group invitation to %v", sent.To, sent.Msg, to)
	}
	if gi.GetGroupJID() != group.String() || gi.GetInviteCode() != wafake.InviteCode(to) || gi.GetGroupName() != name || gi.GetCaption() == "" {
		t.Errorf("invitation %v; want group %v (%q), code %q, a caption", gi, group, name, wafake.InviteCode(to))
	}
	exp := gi.GetInviteExpiration()
	if lo, hi := from.Add(wafake.InviteValidity).Unix(), until.Add(wafake.InviteValidity).Unix(); exp < lo || exp > hi {
		t.Errorf("invitation expiring at %d, want the add_request's (in [%d, %d])", exp, lo, hi)
	}
}

// checkInvitationCopy fails unless evs hold, once, the user's copy of
// the invitation sent to chatID: in that direct chat, from the user (as
// from their phone), naming the group, with no joining instructions
// (the invitation is the user's to give).
func checkInvitationCopy(t *testing.T, evs []*pb.Event, chatID, name string) {
	t.Helper()
	var copies []*pb.Event
	for _, ev := range evs {
		if ev.ChatId == chatID && ev.GetMessage() != nil {
			copies = append(copies, ev)
		}
	}
	if len(copies) != 1 {
		t.Fatalf("messages in %s's chat: %v; want the user's copy of the invitation", chatID, copies)
	}
	ev := copies[0]
	text := ev.GetMessage().Text
	if !ev.GetSender().GetIsFromMe() || ev.EventId == "" || !strings.Contains(text, "«"+name+"»") || !strings.Contains(text, "valid until") ||
		strings.Contains(text, "join the room") {
		t.Errorf("the copy of the invitation: %v; want one from the user, with an ID, naming %q, its expiry, no instructions", ev, name)
	}
}

// roomNotices are the group's messages from the room itself (no sender)
// among evs.
func roomNotices(evs []*pb.Event, chatID string) []string {
	var out []string
	for _, ev := range evs {
		if m := ev.GetMessage(); m != nil && ev.ChatId == chatID && ev.GetSender().GetUserId() == "" {
			out = append(out, m.Text)
		}
	}
	return out
}

// A group created with contacts WhatsApp will not add: the one whose
// privacy settings let only an invitation through (403) is sent
// WhatsApp's private invitation, with the code of WhatsApp's answer;
// another refusal (408) gets nothing, nor does someone already in (409);
// and the new room says who was invited instead of added, and who was not
// added at all.
func TestCreateGroupInvitesRefused(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	fake.RefuseAdd(carol, 403)
	fake.RefuseAdd(dave, 408)
	fake.RefuseAdd(erin, 409)
	from, before := r.host.count(), time.Now()
	id, err := s.CreateChat(context.Background(), sdk.Call{}, &pb.CreateChat{Name: "Weekend",
		MemberIds: []string{"+33611111111", "+33633333333", "+33644444444", "+33655555555"}})
	if err != nil {
		t.Fatalf("CreateChat: %v", err)
	}
	after := time.Now()
	jid, _ := types.ParseJID(id)

	sent := fake.Sent()
	if len(sent) != 1 {
		t.Fatalf("sent %v; want one invitation, to %v", sent, carol)
	}
	checkInvitation(t, sent[0], carol, jid, "Weekend", before, after)

	evs := r.host.since(from)
	checkInvitationCopy(t, evs, "+33633333333", "Weekend")
	notes := roomNotices(evs, id)
	if len(notes) != 1 {
		t.Fatalf("the room's notices: %q; want one", notes)
	}
	note := notes[0]
	for _, want := range []string{"+33633333333 was not added", "privacy settings", "sent one in a private message", "valid until",
		"+33644444444 was not added", "(408)"} {
		if !strings.Contains(note, want) {
			t.Errorf("notice %q does not say %q", note, want)
		}
	}
	if strings.Contains(note, "+33655555555") || strings.Contains(note, "+33611111111") {
		t.Errorf("notice %q names a contact who is in the group", note)
	}
	// After the room is made, so that it has somewhere to go.
	chatAt, noteAt := -1, -1
	for i, ev := range evs {
		if ev.GetChat() != nil && chatAt < 0 {
			chatAt = i
		}
		if ev.GetMessage() != nil && ev.ChatId == id {
			noteAt = i
		}
	}
	if chatAt < 0 || noteAt < chatAt {
		t.Errorf("the notice (event %d) before the room (event %d)", noteAt, chatAt)
	}
}

// A creation whose invitation cannot be sent still makes the group, and
// its room says the invitation was not sent, and why.
func TestCreateGroupInviteNotSent(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	fake.RefuseAdd(carol, 403)
	fake.SendErr = whatsmeow.ErrNotConnected
	from := r.host.count()
	id, err := s.CreateChat(context.Background(), sdk.Call{}, &pb.CreateChat{Name: "Weekend", MemberIds: []string{"+33611111111", "+33633333333"}})
	if err != nil {
		t.Fatalf("CreateChat: %v", err)
	}
	if sent := fake.Sent(); len(sent) != 0 {
		t.Errorf("sent %v", sent)
	}
	notes := roomNotices(r.host.since(from), id)
	if len(notes) != 1 || !strings.Contains(notes[0], "+33633333333 was not added") || !strings.Contains(notes[0], "could not be sent") ||
		!strings.Contains(notes[0], "not connected") {
		t.Errorf("the room's notices: %q; want that the invitation to +33633333333 could not be sent, and why", notes)
	}
}

// Adding someone to a group from XMPP (Invite) whom WhatsApp will not
// add: for 403 they are sent the invitation WhatsApp offers, the command
// succeeds and the room says so; another refusal (408) is the command's
// error and sends nothing; someone already in (409) is no error.
func TestInviteRefused(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	fake.SetGroup(&types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "Friends"},
		Participants: []types.GroupParticipant{{JID: me, PhoneNumber: me, IsSuperAdmin: true}, {JID: alice, PhoneNumber: alice}}})
	fake.RefuseAdd(carol, 403)
	fake.RefuseAdd(dave, 408)
	fake.RefuseAdd(erin, 409)
	call := sdk.Call{ChatID: group.String()}

	from, before := r.host.count(), time.Now()
	if err := s.Invite(ctx, call, "+33633333333"); err != nil {
		t.Fatalf("Invite of a contact WhatsApp invites instead: %v", err)
	}
	after := time.Now()
	sent := fake.Sent()
	if len(sent) != 1 {
		t.Fatalf("sent %v; want one invitation, to %v", sent, carol)
	}
	checkInvitation(t, sent[0], carol, group, "Friends", before, after)
	checkInvitationCopy(t, r.host.since(from), "+33633333333", "Friends")
	notes := roomNotices(r.host.since(from), group.String())
	if len(notes) != 1 || !strings.Contains(notes[0], "+33633333333 was not added") || !strings.Contains(notes[0], "sent one in a private message") {
		t.Errorf("the room's notices: %q; want that +33633333333 was invited", notes)
	}

	from = r.host.count()
	err := s.Invite(ctx, call, "+33644444444")
	if codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(err.Error(), "+33644444444 was not added") || !strings.Contains(err.Error(), "(408)") {
		t.Errorf("Invite refused with 408: %v", err)
	}
	if err := s.Invite(ctx, call, "+33655555555"); err != nil {
		t.Errorf("Invite of someone in the group already (409): %v", err)
	}
	if n := len(fake.Sent()); n != 1 {
		t.Errorf("%d messages sent; want only the invitation to %v", n, carol)
	}
	if notes := roomNotices(r.host.since(from), group.String()); len(notes) != 0 {
		t.Errorf("the room's notices after the 408 and 409: %q", notes)
	}
	for _, p := range fake.Group(group).Participants {
		if p.JID == carol || p.JID == dave {
			t.Errorf("%v added to the group", p.JID)
		}
	}
}

// The invitation sent on the user's behalf carries the contact's chat's
// disappearing-messages timer, as the user's other messages there do, and
// the user's copy of it disappears with it.
func TestCreateGroupInviteTimer(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	from := r.host.count()
	if _, err := s.timers.set("+33633333333", 86400, time.Now().Unix()); err != nil {
		t.Fatal(err)
	}
	fake.RefuseAdd(carol, 403)
	if _, err := s.CreateChat(context.Background(), sdk.Call{}, &pb.CreateChat{Name: "Weekend", MemberIds: []string{"+33611111111", "+33633333333"}}); err != nil {
		t.Fatalf("CreateChat: %v", err)
	}
	sent := fake.Sent()
	if len(sent) != 1 || sent[0].Msg.GetGroupInviteMessage() == nil {
		t.Fatalf("sent %v; want one invitation", sent)
	}
	if exp := contextOf(sent[0].Msg).GetExpiration(); exp != 86400 {
		t.Errorf("invitation %v: timer %d, want the chat's (86400)", sent[0].Msg, exp)
	}
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.ChatId == "+33633333333" && ev.GetMessage() != nil })
	if got, want := ev.GetMessage().GetExpiresUnixMicro(), ev.TimestampUnixMicro+(24*time.Hour).Microseconds(); got != want {
		t.Errorf("the user's copy %v: expires %d, want a day after it was sent (%d)", ev, got, want)
	}
}
