package whatsapp

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// inviteMsg is Alice's private invitation to g.
func inviteMsg(g *types.GroupInfo, code string, exp time.Time) *waE2E.Message {
	return &waE2E.Message{GroupInviteMessage: &waE2E.GroupInviteMessage{GroupJID: proto.String(g.JID.String()),
		InviteCode: proto.String(code), InviteExpiration: proto.Int64(exp.Unix()), GroupName: proto.String(g.Name),
		Caption: proto.String("come climbing")}}
}

// A private invitation a contact sends (WhatsApp's GroupInviteMessage)
// says the group's name, its expiry and its caption, and how to join it
// from XMPP: the room joinchat@ with the password it gives, which joins
// the group by WhatsApp's JoinGroupWithInvite (its group, inviter, code
// and expiry) and announces it. Joined again, the group is announced as
// it is.
func TestJoinGroupByInvite(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	g := linkGroup("120363000000000401", "Climbing", false)
	exp := time.Now().Add(72 * time.Hour).Truncate(time.Second)
	code := "InV+cOdE/0123456789=" // not a link's: any characters
	fake.AddInvitation(g, alice, code, exp)

	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "GI1", Timestamp: time.Now(), PushName: "Alice"},
		inviteMsg(g, code, exp))
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.EventId == "GI1" })
	text := ev.GetMessage().GetText()
	if ev.ChatId != "+33611111111" || ev.GetSender().GetUserId() != "+33611111111" {
		t.Errorf("the invitation's event: %v", ev)
	}
	for _, want := range []string{"«Climbing»", "valid until " + exp.UTC().Format(expiryLayout), "come climbing", "join the room joinchat@", "on your phone"} {
		if !strings.Contains(text, want) {
			t.Errorf("invitation %q does not say %q", text, want)
		}
	}
	lines := strings.Split(text, "\n")
	password := lines[len(lines)-1]
	if want := "invite:120363000000000401:33611111111@s.whatsapp.net:" + strconv.FormatInt(exp.Unix(), 10) + ":" + code; password != want {
		t.Fatalf("the invitation's password %q, want %q", password, want)
	}

	from = r.host.count()
	joined, err := joinLink(s, password)
	if err != nil || joined != g.JID.String() {
		t.Fatalf("join by the invitation: %q, %v; want %s", joined, err, g.JID)
	}
	want := wafake.Invitation{Group: g.JID, Inviter: alice, Code: code, Expiration: exp}
	if asked := fake.InvitationJoins(); len(asked) != 1 || asked[0] != want {
		t.Errorf("WhatsApp asked to join by %+v, want %+v", asked, want)
	}
	chats := chatEvents(r.host.since(from))
	if len(chats) == 0 {
		t.Fatal("no ChatEvent for the group joined")
	}
	for _, ev := range chats {
		c := ev.GetChat().GetChat()
		if ev.ChatId != joined || c.Name != "Climbing" || !slices.Equal(memberIDs(c), []string{"+33611111111", "+33622222222", "self:+33600000000"}) {
			t.Errorf("ChatEvent: %v", ev)
		}
	}

	// Again: WhatsApp's conflict, and the group as it is.
	from = r.host.count()
	if joined, err := joinLink(s, password); err != nil || joined != g.JID.String() {
		t.Errorf("join by the invitation once in: %q, %v", joined, err)
	}
	if chats := chatEvents(r.host.since(from)); len(chats) != 1 || chats[0].ChatId != g.JID.String() {
		t.Errorf("ChatEvents once in: %v", chats)
	}
}

// What a join by invitation refuses: an expired one before WhatsApp is
// asked; one WhatsApp never gave (another code); a password that is
// neither an invitation nor a link.
func TestJoinGroupByInviteRefused(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	g := linkGroup("120363000000000501", "Chess", false)
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	fake.AddInvitation(g, alice, "ChEsS01", exp)
	pw := func(code string, exp time.Time) string {
		return "invite:120363000000000501:33611111111@s.whatsapp.net:" + strconv.FormatInt(exp.Unix(), 10) + ":" + code
	}

	past := time.Now().Add(-time.Hour)
	_, err := joinLink(s, pw("ChEsS01", past))
	if codeOf(err) != pb.ErrorCode_ERROR_CODE_EXPIRED || !strings.Contains(err.Error(), "expired on "+past.UTC().Format(expiryLayout)) {
		t.Errorf("an expired invitation: %v", err)
	}
	if asked := fake.InvitationJoins(); len(asked) != 0 {
		t.Errorf("WhatsApp asked for an expired invitation: %v", asked)
	}
	if _, err := joinLink(s, pw("nOtThIs", exp)); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("an invitation WhatsApp never gave: %v", err)
	}
	for _, bad := range []string{"invite:", "invite:120363000000000501:33611111111@s.whatsapp.net:soon:ChEsS01",
		"invite:120363000000000501:alice:" + strconv.FormatInt(exp.Unix(), 10) + ":ChEsS01",
		"invite:120363000000000501:33611111111@s.whatsapp.net:" + strconv.FormatInt(exp.Unix(), 10) + ":two words"} {
		if _, err := joinLink(s, bad); codeOf(err) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(err.Error(), "copy the password") {
			t.Errorf("password %q: %v", bad, err)
		}
	}
	if n := len(fake.InvitationJoins()); n != 1 {
		t.Errorf("%d joins asked of WhatsApp, want the one with another code", n)
	}
	if g := fake.Group(g.JID); g != nil {
		t.Errorf("in the group after the refusals: %+v", g)
	}
}

// The rendering of a private invitation: the transport's room when the
// plugin knows its JID; without its code (not one to join by) or sent by
// the user, no instructions.
func TestInboundGroupInvite(t *testing.T) {
	g := linkGroup("120363000000000401", "Climbing", false)
	exp := time.Date(2026, 12, 10, 9, 30, 0, 0, time.UTC)
	conv := inbound{ids: testConv.ids, self: testConv.self, domain: "whatsapp.example.org"}
	ev := conv.message(&events.Message{Info: direct(alice, "GI"), Message: inviteMsg(g, "CoDe", exp)})
	want := "Invitation to the WhatsApp group «Climbing» (valid until 10 Dec 2026 09:30 UTC)\ncome climbing\n" +
		"To join it from here, join the room joinchat@whatsapp.example.org with this password (or accept it on your phone):\n" +
		"invite:120363000000000401:33611111111@s.whatsapp.net:" + strconv.FormatInt(exp.Unix(), 10) + ":CoDe"
	if got := ev.GetMessage().GetText(); got != want {
		t.Errorf("invitation:\n%s\nwant\n%s", got, want)
	}
	noCode := inviteMsg(g, "", exp)
	if got := conv.message(&events.Message{Info: direct(alice, "GI2"), Message: noCode}).GetMessage().GetText(); !strings.HasSuffix(got, "\n(accept it on your phone)") || strings.Contains(got, "invite:") {
		t.Errorf("an invitation without its code: %q", got)
	}
	if got := conv.message(&events.Message{Info: fromMe(alice, "GI3"), Message: inviteMsg(g, "CoDe", exp)}).GetMessage().GetText(); got != "Invitation to the WhatsApp group «Climbing» (valid until 10 Dec 2026 09:30 UTC)\ncome climbing" {
		t.Errorf("the user's own invitation: %q", got)
	}
}
