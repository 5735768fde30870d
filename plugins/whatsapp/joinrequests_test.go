package whatsapp

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// An admin answers a request to join from the room, as the notice says:
// inviting the person approves it (they join the room), banning their
// address rejects it (the room says so); WhatsApp lists the request by
// LID, the room by phone number. A request answered on a phone meanwhile
// leaves no trace: the gesture is then the ordinary removal or add. A
// member who is no admin is told why they cannot reject one.
func TestJoinRequestAnsweredFromRoom(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	other := types.NewJID("120363000000000099", types.GroupServer)
	setApprovalGroup(fake)
	fake.SetGroup(&types.GroupInfo{
		JID: other, GroupName: types.GroupName{Name: "Club"}, GroupMembershipApprovalMode: types.GroupMembershipApprovalMode{IsJoinApprovalRequired: true},
		Participants: []types.GroupParticipant{{JID: phone, PhoneNumber: phone}, {JID: alice, PhoneNumber: alice, IsSuperAdmin: true}},
	})
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	pn := func(n string) types.JID { return types.NewJID(n, types.DefaultUserServer) }
	carol, carolLID := pn("33633333333"), types.NewJID("99933333333", types.HiddenUserServer)
	dave, erin, frank := pn("33644444444"), pn("33655555555"), pn("33666666666")
	call := sdk.Call{ChatID: group.String()}

	from := r.host.count()
	if err := fake.AskToJoin(group, carolLID, carol); err != nil {
		t.Fatal(err)
	}
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if text := ev.GetMessage().Text; text != "+33633333333"+joinRequestText || !strings.Contains(text, "inviting them") {
		t.Errorf("notice: %q", text)
	}
	from = r.host.count()
	if err := s.Invite(ctx, call, "+33633333333"); err != nil {
		t.Fatalf("approve by invitation: %v", err)
	}
	if acts := fake.RequestActions(); len(acts) != 1 || acts[0].Action != whatsmeow.ParticipantChangeApprove || !slices.Equal(acts[0].Users, []types.JID{carolLID}) {
		t.Errorf("approval: WhatsApp asked %+v", acts)
	}
	r.host.next(t, from, func(ev *pb.Event) bool {
		return ev.GetMember().GetKind() == pb.MemberEvent_KIND_JOINED && ev.GetMember().GetMember().GetUserId() == "+33633333333"
	})

	if err := fake.AskToJoin(group, dave, types.EmptyJID); err != nil {
		t.Fatal(err)
	}
	from = r.host.count()
	if err := s.Kick(ctx, call, &pb.Kick{UserId: "+33644444444", Ban: true}); err != nil {
		t.Fatalf("reject by kick: %v", err)
	}
	if acts := fake.RequestActions(); len(acts) != 2 || acts[1].Action != whatsmeow.ParticipantChangeReject || len(fake.PendingRequests(group)) != 0 {
		t.Errorf("rejection: WhatsApp asked %+v, pending %v", acts, fake.PendingRequests(group))
	}
	ev, _ = r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if text := ev.GetMessage().Text; text != requestRejectedText+"+33644444444" {
		t.Errorf("rejection said: %q", text)
	}
	// WhatsApp's notice of it to the admins, from the user, says it no
	// more.
	if n := len(messagesSince(r.host, from)); n != 1 {
		t.Errorf("rejection from the room said %d times: %v", n, messagesSince(r.host, from))
	}

	// Answered on the phone first: erin approved (a member, then removed
	// as one), frank rejected (then added as anyone).
	for _, who := range []types.JID{erin, frank} {
		if err := fake.AskToJoin(group, who, types.EmptyJID); err != nil {
			t.Fatal(err)
		}
	}
	from = r.host.count()
	if err := fake.SettleRequest(group, erin, true); err != nil {
		t.Fatal(err)
	}
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMember().GetMember().GetUserId() == "+33655555555" })
	from = r.host.count()
	if err := fake.SettleRequest(group, frank, false); err != nil {
		t.Fatal(err)
	}
	// Said, from the admin who rejected it (alice, on her phone).
	ev, _ = r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetSender().GetUserId() != "+"+alice.User || ev.GetMessage().Text != requestRejectedText+"+33666666666" {
		t.Errorf("rejection on another admin's phone: %v", ev)
	}
	if err := s.Kick(ctx, call, &pb.Kick{UserId: "+33655555555"}); err != nil {
		t.Errorf("kick of one approved on the phone: %v", err)
	}
	if err := s.Invite(ctx, call, "+33666666666"); err != nil {
		t.Errorf("invitation of one rejected on the phone: %v", err)
	}
	g := fake.Group(group)
	in := func(j types.JID) bool {
		return slices.ContainsFunc(g.Participants, func(p types.GroupParticipant) bool { return p.JID == j })
	}
	if acts := fake.RequestActions(); len(acts) != 2 || in(erin) || !in(frank) {
		t.Errorf("after the phone answered: WhatsApp asked %+v; group %+v", acts, g.Participants)
	}

	// Known by a LID alone: named by it, which the admin invites.
	stranger := types.NewJID("99977777777", types.HiddenUserServer)
	from = r.host.count()
	if err := fake.AskToJoin(group, stranger, types.EmptyJID); err != nil {
		t.Fatal(err)
	}
	ev, _ = r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if text := ev.GetMessage().Text; text != "Someone (lid-99977777777)"+joinRequestText {
		t.Errorf("notice of a LID: %q", text)
	}
	if err := s.Invite(ctx, call, "lid-99977777777"); err != nil {
		t.Errorf("approval of a LID: %v", err)
	}
	if acts := fake.RequestActions(); len(acts) != 3 || !slices.Equal(acts[2].Users, []types.JID{stranger}) {
		t.Errorf("approval of a LID: WhatsApp asked %+v", acts)
	}

	// Withdrawn by the requester: said from the room, and inviting
	// them is then the ordinary add.
	gina, ginaLID := pn("33677777777"), types.NewJID("99988888888", types.HiddenUserServer)
	if err := fake.AskToJoin(group, ginaLID, gina); err != nil {
		t.Fatal(err)
	}
	from = r.host.count()
	if err := fake.WithdrawRequest(group, ginaLID); err != nil {
		t.Fatal(err)
	}
	ev, _ = r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetSender().GetUserId() != "" || ev.GetMessage().Text != "+33677777777"+withdrawnText {
		t.Errorf("a request withdrawn: %v", ev)
	}

	// Not an admin.
	if err := fake.AskToJoin(other, dave, types.EmptyJID); err != nil {
		t.Fatal(err)
	}
	err := s.Kick(ctx, sdk.Call{ChatID: other.String()}, &pb.Kick{UserId: "+33644444444"})
	if codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(err.Error(), notAdminRejectText) {
		t.Errorf("rejection by a member: %v", err)
	}
	if len(fake.PendingRequests(other)) != 1 {
		t.Errorf("a member's rejection took the request: %v", fake.PendingRequests(other))
	}
}

// messagesSince are the message events the host got from from on.
func messagesSince(h *testHost, from int) []*pb.Event {
	var out []*pb.Event
	for _, ev := range h.since(from) {
		if ev.GetMessage() != nil {
			out = append(out, ev)
		}
	}
	return out
}

// A rejection from the room whose notice from WhatsApp never comes (the
// connection dropped before it) is awaited no longer once the person
// asks again, nor past rejectedKeep: the user's next rejection of them,
// on the phone, is said in the room. The first rejection was kept for
// the whole run, and hid the next one's notice as its own.
func TestJoinRequestRejectionNoticeLost(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	setApprovalGroup(fake)
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	dave := types.NewJID("33644444444", types.DefaultUserServer)
	erin := types.NewJID("33655555555", types.DefaultUserServer)
	call := sdk.Call{ChatID: group.String()}
	rejectLost := func(who types.JID) {
		t.Helper()
		if err := fake.AskToJoin(group, who, types.EmptyJID); err != nil {
			t.Fatal(err)
		}
		fake.LoseRequestNotices(true)
		defer fake.LoseRequestNotices(false)
		from := r.host.count()
		if err := s.Kick(ctx, call, &pb.Kick{UserId: "+" + who.User, Ban: true}); err != nil {
			t.Fatalf("reject by kick: %v", err)
		}
		if ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil }); ev.GetMessage().Text != requestRejectedText+"+"+who.User {
			t.Errorf("rejection said: %v", ev)
		}
	}
	rejectedOnPhone := func(who types.JID, what string) {
		t.Helper()
		from := r.host.count()
		if err := fake.RequestEndedByUser(group, who); err != nil {
			t.Fatal(err)
		}
		// A message after it: the notice, if any, came before.
		fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: alice, IsGroup: true}, ID: types.MessageID("AFTER-" + who.User), Timestamp: when},
			&waE2E.Message{Conversation: proto.String("after")})
		r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "AFTER-"+who.User })
		said := false
		for _, ev := range messagesSince(r.host, from) {
			said = said || ev.GetMessage().Text == requestRejectedText+"+"+who.User
		}
		if !said {
			t.Errorf("%s: the user's rejection on the phone not said in the room: %v", what, messagesSince(r.host, from))
		}
	}

	// Dave asks again after a rejection whose notice never came.
	rejectLost(dave)
	if err := fake.AskToJoin(group, dave, types.EmptyJID); err != nil {
		t.Fatal(err)
	}
	rejectedOnPhone(dave, "asked again")

	// Erin asks again, neither notice coming (the connection dropped
	// again), and the user rejects her on the phone much later.
	rejectLost(erin)
	fake.LoseRequestNotices(true)
	if err := fake.AskToJoin(group, erin, types.EmptyJID); err != nil {
		t.Fatal(err)
	}
	fake.LoseRequestNotices(false)
	setFor(t, clock, func() time.Time { return time.Now().Add(rejectedKeep + time.Minute) })
	rejectedOnPhone(erin, "past rejectedKeep")
}

// A rejection from the room is kept under each of the requester's IDs
// (the room's phone number, WhatsApp's LID) and forgotten under all of
// them when a notice names them by one alone: a new request naming the
// LID only forgot the LID's key, and the phone number's, left, hid the
// notice of the user's next rejection of them on the phone naming the
// phone number; so did a notice of the rejection itself naming the LID
// only, or a second rejection from the room naming one ID.
func TestRejectionForgottenUnderEachID(t *testing.T) {
	pn := types.NewJID("33644444444", types.DefaultUserServer)
	lid := types.NewJID("444555888", types.HiddenUserServer)
	s := &Session{}

	s.noteRejected(group, pn, lid)
	s.forgetRejected(group, lid, types.EmptyJID) // they asked again, named by LID
	if s.rejectedHere(group, pn, lid) {
		t.Error("after a new request naming the LID only: the next rejection's notice, naming the phone number, taken for the first")
	}

	s.noteRejected(group, pn, lid)
	if !s.rejectedHere(group, lid, lid) { // WhatsApp's notice of it, naming the LID only
		t.Fatal("the rejection from the room not found by its LID")
	}
	if s.rejectedHere(group, pn, lid) {
		t.Error("after its notice naming the LID only: the next rejection's notice taken for it")
	}

	// Rejected again before the first's notice came, named by phone
	// number alone: the first is forgotten under its LID too.
	s.noteRejected(group, pn, lid)
	s.noteRejected(group, pn)
	if !s.rejectedHere(group, pn) {
		t.Fatal("the second rejection from the room not found")
	}
	if s.rejectedHere(group, lid) {
		t.Error("after the second rejection's notice: the first still awaited under the LID")
	}
}

// setApprovalGroup makes the fake's group "Friends" one whose admins
// approve newcomers, the user an admin and Alice its owner.
func setApprovalGroup(fake *wafake.Client) {
	fake.SetGroup(&types.GroupInfo{
		JID: group, GroupName: types.GroupName{Name: "Friends"}, GroupMembershipApprovalMode: types.GroupMembershipApprovalMode{IsJoinApprovalRequired: true},
		Participants: []types.GroupParticipant{{JID: phone, PhoneNumber: phone, IsAdmin: true}, {JID: alice, PhoneNumber: alice, IsSuperAdmin: true}},
	})
}
