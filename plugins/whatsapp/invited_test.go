package whatsapp

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// A private invitation the user receives is an InvitedEvent on the
// group's own chat ID, from the inviter, whose password joins the
// group's room (JoinGroupWithInvite with its group, inviter, code and
// expiry); a join without a password uses the invitation received; a
// decline forgets it and says WhatsApp has no decline; an expired one
// is refused before WhatsApp is asked. Before, the invitation was only a
// text, and a join of the group's room NOT_FOUND.
func TestInvitedEventJoinsGroupRoom(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	g := linkGroup("120363000000000601", "Climbing", false)
	exp := time.Now().Add(72 * time.Hour).Truncate(time.Second)
	code := "InV+cOdE/06"
	fake.AddInvitation(g, alice, code, exp)

	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "GI6", Timestamp: time.Now(), PushName: "Alice"},
		inviteMsg(g, code, exp))
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetInvited() != nil })
	inv := ev.GetInvited()
	if ev.ChatId != g.JID.String() || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || ev.GetSender().GetUserId() != "+33611111111" ||
		ev.EventId == "" || inv.ChatName != "Climbing" || inv.Reason != "come climbing" || !strings.HasPrefix(inv.Password, "invite:120363000000000601:") {
		t.Fatalf("the InvitedEvent: %v", ev)
	}
	// The text notice stays, for clients that show no invitation.
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.EventId == "GI6" })

	joined, err := s.JoinChat(ctx, sdk.Call{ChatID: g.JID.String()}, &pb.JoinChat{Nick: "me", Password: inv.Password})
	if err != nil || joined != g.JID.String() {
		t.Fatalf("join of the group's room with the invitation's password: %q, %v", joined, err)
	}
	want := wafake.Invitation{Group: g.JID, Inviter: alice, Code: code, Expiration: exp}
	if asked := fake.InvitationJoins(); len(asked) != 1 || asked[0] != want {
		t.Errorf("WhatsApp asked to join by %+v, want %+v", asked, want)
	}

	// Another group: its room joined without a password uses the
	// invitation received; one for another group is refused.
	g2 := linkGroup("120363000000000602", "Chess", false)
	fake.AddInvitation(g2, alice, "ChEsS02", exp)
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "GI7", Timestamp: time.Now(), PushName: "Alice"},
		inviteMsg(g2, "ChEsS02", exp))
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetInvited() != nil && ev.ChatId == g2.JID.String() })
	if _, err := s.JoinChat(ctx, sdk.Call{ChatID: g2.JID.String()}, &pb.JoinChat{Nick: "me", Password: inv.Password}); codeOf(err) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("another group's invitation: %v", err)
	}
	if joined, err := s.JoinChat(ctx, sdk.Call{ChatID: g2.JID.String()}, &pb.JoinChat{Nick: "me"}); err != nil || joined != g2.JID.String() {
		t.Errorf("join of the group's room without a password: %q, %v", joined, err)
	}

	// A decline forgets it and says so; no invitation: NOT_FOUND.
	g3 := linkGroup("120363000000000603", "Choir", false)
	fake.AddInvitation(g3, alice, "ChOiR03", exp)
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "GI8", Timestamp: time.Now(), PushName: "Alice"},
		inviteMsg(g3, "ChOiR03", exp))
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetInvited() != nil && ev.ChatId == g3.JID.String() })
	from = r.host.count()
	if err := s.DeclineInvite(ctx, sdk.Call{ChatID: g3.JID.String()}, &pb.DeclineInvite{}); err != nil {
		t.Fatalf("decline: %v", err)
	}
	note, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.ChatId == "+33611111111" })
	if !strings.Contains(note.GetMessage().GetText(), "WhatsApp has no decline") {
		t.Errorf("the decline's notice: %v", note)
	}
	if _, err := s.JoinChat(ctx, sdk.Call{ChatID: g3.JID.String()}, &pb.JoinChat{Nick: "me"}); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("join after the decline, without the password: %v", err)
	}
	if err := s.DeclineInvite(ctx, sdk.Call{ChatID: g3.JID.String()}, &pb.DeclineInvite{}); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("a second decline: %v", err)
	}

	// Expired: refused before WhatsApp is asked.
	past := time.Now().Add(-time.Hour)
	pw := invitation{group: g3.JID, inviter: alice, expiration: past.Unix(), code: "ChOiR03"}.password()
	before := len(fake.InvitationJoins())
	if _, err := s.JoinChat(ctx, sdk.Call{ChatID: g3.JID.String()}, &pb.JoinChat{Nick: "me", Password: pw}); codeOf(err) != pb.ErrorCode_ERROR_CODE_EXPIRED ||
		!strings.Contains(err.Error(), "expired on") {
		t.Errorf("an expired invitation: %v", err)
	}
	if len(fake.InvitationJoins()) != before {
		t.Error("WhatsApp asked for an expired invitation")
	}
}

// A group's chat ID, old form too, and a channel's match
// join_chat_pattern (a channel's did not: its room was a person's to
// disco#info, not joined to follow it); a user's does not.
func TestJoinChatPatternGroups(t *testing.T) {
	re := regexp.MustCompile(`^(?:` + groupChatIDPattern + `)$`)
	for _, id := range []string{"120363000000000601@g.us", "33611111111-1600000000@g.us", "120363100000000001@newsletter"} {
		if !re.MatchString(id) {
			t.Errorf("%s does not match", id)
		}
	}
	for _, id := range []string{"+33611111111", "lid-123", "joinchat", "33611111111@s.whatsapp.net", "1@g.us.x", "x@newsletter", "1@newsletter.x"} {
		if re.MatchString(id) {
			t.Errorf("%s matches", id)
		}
	}
}

// A join of the group's room, by the invitation received or by its
// password, forgets the invitation: a later decline is NOT_FOUND and
// tells the user nothing. Before, the invitation stayed after a join
// without the password, and a decline said "You declined…" of a group
// the user had joined.
func TestJoinForgetsInvitation(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	exp := time.Now().Add(72 * time.Hour).Truncate(time.Second)
	for _, tc := range []struct {
		group, code string
		byPassword  bool
	}{{"120363000000000710", "KnIt00", false}, {"120363000000000711", "KnIt01", true}} {
		g, code, byPassword := linkGroup(tc.group, "Knitting", false), tc.code, tc.byPassword
		fake.AddInvitation(g, alice, code, exp)
		from := r.host.count()
		fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "GJ" + code, Timestamp: time.Now(), PushName: "Alice"},
			inviteMsg(g, code, exp))
		ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetInvited() != nil && ev.ChatId == g.JID.String() })
		j := &pb.JoinChat{Nick: "me"}
		if byPassword {
			j.Password = ev.GetInvited().GetPassword()
		}
		if joined, err := s.JoinChat(ctx, sdk.Call{ChatID: g.JID.String()}, j); err != nil || joined != g.JID.String() {
			t.Fatalf("join (by password: %v): %q, %v", byPassword, joined, err)
		}
		from = r.host.count()
		if err := s.DeclineInvite(ctx, sdk.Call{ChatID: g.JID.String()}, &pb.DeclineInvite{}); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
			t.Errorf("decline after a join (by password: %v): %v, want NOT_FOUND", byPassword, err)
		}
		for _, ev := range r.host.since(from) {
			if strings.Contains(ev.GetMessage().GetText(), "You declined") {
				t.Errorf("decline after a join (by password: %v) told the user %q", byPassword, ev.GetMessage().GetText())
			}
		}
	}
}
