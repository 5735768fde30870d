package whatsapp

import (
	"context"
	"slices"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// linkGroup is a group behind an invitation link, Alice its owner and Bob
// in it, the user not.
func linkGroup(id, name string, approval bool) *types.GroupInfo {
	g := &types.GroupInfo{JID: types.NewJID(id, types.GroupServer), GroupName: types.GroupName{Name: name},
		Participants: []types.GroupParticipant{
			{JID: alice, PhoneNumber: alice, IsAdmin: true, IsSuperAdmin: true},
			{JID: bob, PhoneNumber: bob},
		}}
	g.IsJoinApprovalRequired = approval
	return g
}

// joinLink joins the room joinchat with password as its password.
func joinLink(s *Session, password string) (string, error) {
	return s.JoinChat(context.Background(), sdk.Call{ChatID: inviteRoom}, &pb.JoinChat{Nick: "me", Password: password})
}

// chatEvents is the ChatEvents among evs.
func chatEvents(evs []*pb.Event) []*pb.Event {
	var out []*pb.Event
	for _, ev := range evs {
		if ev.GetChat() != nil {
			out = append(out, ev)
		}
	}
	return out
}

// A group joined by its invitation link, given in any of its spellings as
// the password of joinchat@: WhatsApp is asked for the link's group, then
// joins it; the join answers with the group's own chat ID, and the
// ChatEvents (the plugin's and the one of WhatsApp's notification of the
// join) list its members, the user among them.
func TestJoinGroupByLink(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	if f, _ := sdk.Features(s, r.caps.GetFeatures()); !f.GetJoinChat() || !slices.Equal(f.GetJoinChatPrefixes(), []string{"joinchat"}) {
		t.Errorf("join_chat not advertised with the prefix joinchat: %v", f)
	}
	links := []string{
		"https://chat.whatsapp.com/AbCdEf0123456789XyZ",
		"  chat.whatsapp.com/BcDeFg0123456789XyZ/  ",
		"http://chat.whatsapp.com/invite/CdEfGh0123456789XyZ",
		"https://chat.whatsapp.com/DeFgHi0123456789XyZ?mode=ems_copy_t",
		"EfGhIj0123456789XyZ",
	}
	for i, link := range links {
		code, _ := inviteCode(strings.TrimSpace(link))
		g := linkGroup("12036300000000010"+string(rune('0'+i)), "Hikers "+code[:2], false)
		fake.AddLink(code, g)
		from := r.host.count()
		joined, err := joinLink(s, link)
		if err != nil {
			t.Fatalf("join by %q: %v", link, err)
		}
		if joined != g.JID.String() {
			t.Errorf("join by %q answered %q, want the group's ID %s", link, joined, g.JID)
		}
		if asked := fake.LinkJoins(); len(asked) != i+1 || asked[i] != code {
			t.Errorf("join by %q: WhatsApp asked to join by %v, want the code %s", link, asked, code)
		}
		chats := chatEvents(r.host.since(from))
		if len(chats) != 2 {
			t.Fatalf("ChatEvents after joining by %q: %v; want WhatsApp's notification's and the plugin's", link, chats)
		}
		want := []string{"+33611111111", "+33622222222", "self:+33600000000"}
		for _, ev := range chats {
			c := ev.GetChat().GetChat()
			if ev.ChatId != joined || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || c.ChatId != joined || c.Name != g.Name {
				t.Errorf("ChatEvent: %v", ev)
			}
			if got := memberIDs(c); !slices.Equal(got, want) {
				t.Errorf("ChatEvent members %v, want %v", got, want)
			}
		}
	}
}

// A link of a group the user is in already: nothing is joined, and the
// join names the group, announced as it is.
func TestJoinGroupByLinkAlreadyIn(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	g := linkGroup("120363000000000201", "Neighbours", false)
	fake.AddLink("NeIgHbOuRs0123456789", g)
	in := *g
	in.Participants = append(slices.Clone(g.Participants), types.GroupParticipant{JID: me, PhoneNumber: me})
	fake.SetGroup(&in)
	from := r.host.count()
	joined, err := joinLink(s, "https://chat.whatsapp.com/NeIgHbOuRs0123456789")
	if err != nil || joined != g.JID.String() {
		t.Fatalf("join of a group the user is in: %q, %v; want %s", joined, err, g.JID)
	}
	if asked := fake.LinkJoins(); len(asked) != 0 {
		t.Errorf("WhatsApp asked to join a group the user is in: %v", asked)
	}
	chats := chatEvents(r.host.since(from))
	if len(chats) != 1 || chats[0].ChatId != joined || !slices.Contains(memberIDs(chats[0].GetChat().GetChat()), "self:+33600000000") {
		t.Errorf("ChatEvents: %v; want the group, the user in it", chats)
	}
}

// A group whose admins approve newcomers: the join sends the request and
// is refused saying so, naming the group; no room comes. Asked again, the
// request waits already (WhatsApp's conflict).
func TestJoinGroupByLinkApproval(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	g := linkGroup("120363000000000301", "Book club", true)
	fake.AddLink("BoOkClUb0123456789", g)
	from := r.host.count()
	_, err := joinLink(s, "https://chat.whatsapp.com/BoOkClUb0123456789")
	if codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(err.Error(), "request to join «Book club» is sent") {
		t.Errorf("join of a group that approves newcomers: %v", err)
	}
	if reqs := fake.JoinRequests(); !slices.Equal(reqs, []types.JID{g.JID}) {
		t.Errorf("requests to join: %v, want %s", reqs, g.JID)
	}
	if chats := chatEvents(r.host.since(from)); len(chats) != 0 {
		t.Errorf("ChatEvents for a group not joined: %v", chats)
	}
	_, err = joinLink(s, "BoOkClUb0123456789")
	if codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(err.Error(), "waits already") {
		t.Errorf("a second join while the request waits: %v", err)
	}
}

// What the join refuses, and how: a revoked link, one no group has, a
// password that is no link, none at all, another room, no connection.
func TestJoinGroupByLinkRefused(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	fake.AddLink("ReVoKeD0123456789", linkGroup("120363000000000401", "Old", false))
	fake.RevokeLink("ReVoKeD0123456789")
	for _, c := range []struct {
		room, password string
		want           pb.ErrorCode
		says           string
	}{
		{inviteRoom, "https://chat.whatsapp.com/ReVoKeD0123456789", pb.ErrorCode_ERROR_CODE_EXPIRED, "ask the group for a new one"},
		{inviteRoom, "https://chat.whatsapp.com/NoSuChLiNk0123456789", pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no group has this link"},
		{inviteRoom, "https://example.org/AbCd", pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "no invitation link"},
		{inviteRoom, "open sesame", pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "no invitation link"},
		{inviteRoom, "", pb.ErrorCode_ERROR_CODE_UNAUTHORIZED, "as the room's password"},
		{"hikers", "https://chat.whatsapp.com/AbCdEf0123456789XyZ", pb.ErrorCode_ERROR_CODE_NOT_FOUND, "join the room joinchat@"},
		{group.String(), "", pb.ErrorCode_ERROR_CODE_NOT_FOUND, "by its invitation link"},
	} {
		_, err := s.JoinChat(context.Background(), sdk.Call{ChatID: c.room}, &pb.JoinChat{Password: c.password})
		if codeOf(err) != c.want || !strings.Contains(err.Error(), c.says) {
			t.Errorf("join of %s with %q: %v; want %v saying %q", c.room, c.password, err, c.want, c.says)
		}
	}
	if asked := fake.LinkJoins(); len(asked) != 0 {
		t.Errorf("WhatsApp asked to join by a link it refused: %v", asked)
	}
	fake.Disconnect()
	if _, err := joinLink(s, "AbCdEf0123456789XyZ"); codeOf(err) != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Errorf("not connected: %v", err)
	}
}

// What changes between the look-up of a link and the join by it: the
// group came to approve newcomers (WhatsApp's answer is then a request,
// which the group, not readable, shows), or the user joined it from the
// phone (WhatsApp's conflict: the group, readable, names it).
func TestJoinGroupByLinkMeanwhile(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	strict := linkGroup("120363000000000501", "Strict now", false)
	fake.AddLink("StRiCt0123456789", strict)
	phoned := linkGroup("120363000000000502", "Joined on the phone", false)
	fake.AddLink("PhOnEd0123456789", phoned)
	fake.OnLinkLookup = func(code string) {
		switch code {
		case "StRiCt0123456789":
			fake.AddLink(code, linkGroup(strict.JID.User, strict.Name, true))
		case "PhOnEd0123456789":
			in := *phoned
			in.Participants = append(slices.Clone(phoned.Participants), types.GroupParticipant{JID: me, PhoneNumber: me})
			fake.SetGroup(&in)
		}
	}

	from := r.host.count()
	_, err := joinLink(s, "https://chat.whatsapp.com/StRiCt0123456789")
	if codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(err.Error(), "request to join «Strict now» is sent") {
		t.Errorf("join of a group that came to approve newcomers: %v", err)
	}
	if reqs := fake.JoinRequests(); !slices.Equal(reqs, []types.JID{strict.JID}) {
		t.Errorf("requests to join: %v, want %s", reqs, strict.JID)
	}
	if chats := chatEvents(r.host.since(from)); len(chats) != 0 {
		t.Errorf("ChatEvents for a group not joined: %v", chats)
	}

	from = r.host.count()
	joined, err := joinLink(s, "https://chat.whatsapp.com/PhOnEd0123456789")
	if err != nil || joined != phoned.JID.String() {
		t.Fatalf("join of a group joined meanwhile: %q, %v; want %s", joined, err, phoned.JID)
	}
	chats := chatEvents(r.host.since(from))
	if len(chats) != 1 || chats[0].ChatId != joined || !slices.Contains(memberIDs(chats[0].GetChat().GetChat()), "self:+33600000000") {
		t.Errorf("ChatEvents: %v; want the group, the user in it", chats)
	}
}

// A community joined by its invitation link: WhatsApp makes the user a
// member of the community (its parent group, which is no room) and of
// its announcement group; the join answers with the announcement
// group's room, named after the community (GetSubGroups names it), and
// no ChatEvent names the parent. Before, the join answered with the
// parent itself, a room with no messages, refused when joined. Joined
// again by the same link, it answers the same.
func TestJoinCommunityByLink(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	parent := linkGroup("120363000000000200", "Village", false)
	ann := linkGroup("120363000000000201", "Village", false)
	ann.IsDefaultSubGroup, ann.IsAnnounce = true, true
	garden := linkGroup("120363000000000202", "Gardening", false)
	fake.AddCommunityLink("VillageCode0123456789", parent, ann, garden)
	for _, round := range []string{"first", "again"} {
		from := r.host.count()
		joined, err := joinLink(s, "https://chat.whatsapp.com/VillageCode0123456789")
		if err != nil {
			t.Fatalf("%s: join by the community's link: %v", round, err)
		}
		if joined != ann.JID.String() {
			t.Errorf("%s: join answered %q, want the announcement group %s", round, joined, ann.JID)
		}
		var named bool
		for _, ev := range chatEvents(r.host.since(from)) {
			c := ev.GetChat().GetChat()
			if ev.ChatId == parent.JID.String() {
				t.Errorf("%s: the community itself announced as a room: %v", round, c)
			}
			if ev.ChatId == ann.JID.String() && c.GetName() == "Village › Announcements" {
				named = true
			}
		}
		if !named {
			t.Errorf("%s: no room «Village › Announcements» announced: %v", round, chatEvents(r.host.since(from)))
		}
	}
}
