package telegram

import (
	"slices"
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// Joining private groups by their invite links on the fake Telegram:
// the link as the password of joinchat@, or as the room +HASH (its
// capitals escaped by the gateway, so the plugin gets them back); a
// member already gets the group; an expired link, an unknown one, a
// link whose capitals the address lost, a request that waits for an
// admin (and the group's room once they approve) are answered in words.
func TestJoinInviteLinkLive(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 650, Title: "Secret Garden", Members: []int64{bob.ID}, Creator: bob.ID, InviteHash: "AbCdEf123"})
	srv.AddChannel(tgfake.Channel{ID: 660, Title: "Old Times", Members: []int64{bob.ID}, Creator: bob.ID, InviteHash: "OldLink99", InviteExpired: true})
	srv.AddChannel(tgfake.Channel{ID: 670, Title: "Vetted", Members: []int64{bob.ID}, Creator: bob.ID, InviteHash: "Knock_Knock-1", InviteRequest: true})
	srv.AddChannel(tgfake.Channel{ID: 680, Title: "Home", Members: []int64{bob.ID, alice.ID}, Creator: bob.ID, InviteHash: "Home42xY"})
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	isChat := func(chat string) func(*pb.Event) bool {
		return func(ev *pb.Event) bool { return ev.ChatId == chat && ev.GetChat() != nil }
	}
	join := func(room, password, want, name string) {
		t.Helper()
		from := h.count()
		joined, err := s.JoinChat(ctx, sdk.Call{ChatID: room}, &pb.JoinChat{Password: password})
		if err != nil || joined != want {
			t.Fatalf("join %s (password %q): %q, %v; want %s", room, password, joined, err, want)
		}
		ev := h.wait(t, from, "the joined group "+want, isChat(want))
		if c := ev.GetChat().Chat; c.Name != name || !slices.ContainsFunc(c.Members, func(m *pb.Member) bool { return m.IsSelf }) {
			t.Errorf("the group's event %v: want %s with the user in it", c, name)
		}
	}

	// Joined by the link as joinchat's password, then again by the
	// room's address (the gateway hands over +AbCdEf123 for
	// +\ab\cd\ef123@): a member already, the same group.
	join("joinchat", "https://t.me/+AbCdEf123", "-100650", "Secret Garden")
	if !slices.Contains(srv.ChannelInfo(650).Members, alice.ID) {
		t.Error("alice is not a member on Telegram")
	}
	join("+AbCdEf123", "", "-100650", "Secret Garden")
	// A member already before: the group, with no join.
	join("+Home42xY", "t.me/joinchat/Home42xY", "-100680", "Home")

	for _, c := range []struct {
		room, password string
		code           pb.ErrorCode
		words          []string
	}{
		{"joinchat", "https://t.me/joinchat/OldLink99", pb.ErrorCode_ERROR_CODE_EXPIRED, []string{"expired", "INVITE_HASH_EXPIRED"}},
		{"joinchat", "https://t.me/+NoSuchLink", pb.ErrorCode_ERROR_CODE_NOT_FOUND, []string{"no group has this invite link", "INVITE_HASH_INVALID"}},
		// The capitals an unescaped address lost: said how to keep them.
		{"+abcdef123", "", pb.ErrorCode_ERROR_CODE_NOT_FOUND, []string{"capitals", "joinchat@", "password"}},
		{"joinchat", "", pb.ErrorCode_ERROR_CODE_BAD_REQUEST, []string{"the link", "password"}},
		{"joinchat", "https://t.me/golang", pb.ErrorCode_ERROR_CODE_BAD_REQUEST, []string{"no invite link"}},
		{"+abcdef123", "https://t.me/+Other1", pb.ErrorCode_ERROR_CODE_BAD_REQUEST, []string{"differ"}},
	} {
		_, err := s.JoinChat(ctx, sdk.Call{ChatID: c.room}, &pb.JoinChat{Password: c.password})
		wantCode(t, "join "+c.room+" "+c.password, err, c.code, c.words...)
	}
	if slices.Contains(srv.ChannelInfo(660).Members, alice.ID) {
		t.Error("an expired link let alice in")
	}

	// A link whose group wants an admin's approval: the request is sent,
	// the join says so; the room comes when the admin approves.
	_, err := s.JoinChat(ctx, sdk.Call{ChatID: "joinchat"}, &pb.JoinChat{Password: "https://t.me/+Knock_Knock-1"})
	wantCode(t, "join a group that approves newcomers", err, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "request", "«Vetted»", "admins must approve", "INVITE_REQUEST_SENT")
	ch := srv.ChannelInfo(670)
	if !slices.Contains(ch.Requests, alice.ID) || slices.Contains(ch.Members, alice.ID) {
		t.Fatalf("after the request: requests %v, members %v; want alice waiting", ch.Requests, ch.Members)
	}
	from := h.count()
	srv.ApproveJoinRequest(670, alice.ID)
	ev := h.wait(t, from, "the group once approved", isChat("-100670"))
	if c := ev.GetChat().Chat; c.Name != "Vetted" || !slices.ContainsFunc(c.Members, func(m *pb.Member) bool { return m.IsSelf }) {
		t.Errorf("the approved group's event %v: want Vetted with the user in it", c)
	}
}

// The spellings of an invite link, and what is none.
func TestLinkHash(t *testing.T) {
	for in, want := range map[string]string{
		"https://t.me/+AbCdEf123":              "AbCdEf123",
		"https://t.me/joinchat/AbCdEf123":      "AbCdEf123",
		"http://telegram.me/joinchat/Ab-_9/":   "Ab-_9",
		"  t.me/+AbC  ":                        "AbC",
		"HTTPS://T.ME/+AbC":                    "AbC",
		"tg://join?invite=AbCdEf123":           "AbCdEf123",
		"+AbCdEf123":                           "AbCdEf123",
		"AbCdEf123":                            "AbCdEf123",
		"https://telegram.dog/joinchat/XyZ123": "XyZ123",
	} {
		if got, ok := linkHash(in); !ok || got != want {
			t.Errorf("linkHash(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "https://t.me/golang", "t.me/+", "tg://resolve?domain=golang", "+Ab/Cd", "https://t.me/+Ab Cd", "secret password"} {
		if got, ok := linkHash(in); ok {
			t.Errorf("linkHash(%q) = %q: want no link", in, got)
		}
	}
	// A public group's join with a password is not a link's.
	if _, ok, err := inviteOf("gophers", "hunter2"); ok || err != nil {
		t.Errorf("inviteOf(gophers, a password) = %v, %v: want no link", ok, err)
	}
}

// The live test's join (TELEGRAM_LIVE_JOIN), run on the fake Telegram so
// that a tester's run is known to work: a public name, an invite link,
// and a link whose group wants approval (logged, not failed).
func TestLiveJoinOnFake(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 630, Title: "Gophers", Username: "gophers", Members: []int64{bob.ID}, Creator: bob.ID})
	srv.AddChannel(tgfake.Channel{ID: 650, Title: "Secret Garden", Members: []int64{bob.ID}, Creator: bob.ID, InviteHash: "AbCdEf123"})
	srv.AddChannel(tgfake.Channel{ID: 670, Title: "Vetted", Members: []int64{bob.ID}, Creator: bob.ID, InviteHash: "Knock1", InviteRequest: true})
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	for _, join := range []string{"gophers", "https://t.me/+AbCdEf123", "t.me/joinchat/Knock1"} {
		liveJoin(t, ctx, s, h, join)
	}
	for _, id := range []int64{630, 650} {
		if !slices.Contains(srv.ChannelInfo(id).Members, alice.ID) {
			t.Errorf("alice is not in %d", id)
		}
	}
	if !slices.Contains(srv.ChannelInfo(670).Requests, alice.ID) {
		t.Error("alice's request is not on the fake Telegram")
	}
}

// Joining a basic group (a tg.Chat, chat ID -N) by its invite link on
// the fake Telegram, which answers as Telegram does for one: a
// chatInvite that is no channel's, then the join's service message
// (messageActionChatJoinedByLink) as an updateNewMessage. The join
// answers with the group's chat ID, the service message brings the
// group with its members, and the group's messages then come as that
// chat's; a member already gets the group without a second join; an
// expired link, a request an admin must approve, are answered in words.
func TestJoinInviteBasicGroupLive(t *testing.T) {
	srv := newFake(t)
	srv.AddGroup(tgfake.Group{ID: 90, Title: "Book Club", About: "one a month", Members: []int64{bob.ID, carol.ID}, Creator: bob.ID, InviteHash: "BookClub7x"})
	srv.AddGroup(tgfake.Group{ID: 91, Title: "Tea Room", Members: []int64{bob.ID, alice.ID}, Creator: bob.ID, InviteHash: "TeaTime_2"})
	srv.AddGroup(tgfake.Group{ID: 92, Title: "Bygones", Members: []int64{bob.ID}, Creator: bob.ID, InviteHash: "Gone4Good", InviteExpired: true})
	srv.AddGroup(tgfake.Group{ID: 93, Title: "Guarded", Members: []int64{bob.ID}, Creator: bob.ID, InviteHash: "Ask-First", InviteRequest: true})
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	isChat := func(chat string) func(*pb.Event) bool {
		return func(ev *pb.Event) bool { return ev.ChatId == chat && ev.GetChat() != nil }
	}
	members := func(c *pb.Chat) []string {
		var ids []string
		for _, m := range c.Members {
			id := m.UserId
			if m.IsSelf {
				id += "(self)"
			}
			ids = append(ids, id)
		}
		slices.Sort(ids)
		return ids
	}

	// Joined by the link: the group's chat ID, alice a member on
	// Telegram, the group from the join's service message (chatEvent's
	// event ID, not announce's) with its three members.
	from := h.count()
	joined, err := s.JoinChat(ctx, sdk.Call{ChatID: "joinchat"}, &pb.JoinChat{Password: "https://t.me/+BookClub7x"})
	if err != nil || joined != "-90" {
		t.Fatalf("join by the basic group's link: %q, %v; want -90", joined, err)
	}
	if !slices.Contains(srv.GroupInfo(90).Members, alice.ID) {
		t.Fatal("alice is not a member of the group on Telegram")
	}
	ev := h.wait(t, from, "the joined basic group", isChat("-90"))
	c := ev.GetChat().Chat
	if c.Name != "Book Club" || c.Type != pb.ChatType_CHAT_TYPE_GROUP || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP {
		t.Errorf("the group's event %v: want the group Book Club", ev)
	}
	if got, want := members(c), []string{"1001(self)", "1002", "1003"}; !slices.Equal(got, want) {
		t.Errorf("the group's members %v; want %v", got, want)
	}
	if !strings.HasSuffix(ev.EventId, ".chat") {
		t.Errorf("the group's event ID %q: want the join's service message's (N.chat)", ev.EventId)
	}

	// The group's messages come as its chat's, and alice writes to it.
	from = h.count()
	srv.Send(carol.ID, &tg.PeerChat{ChatID: 90}, "welcome, alice")
	ev = h.wait(t, from, "the basic group's message", isMessage("-90", "welcome, alice"))
	if ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || ev.Sender.GetUserId() != "1003" {
		t.Errorf("the group's message %v: want a group message from carol", ev)
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "-90"}, &pb.SendMessage{Text: "thanks"}); err != nil {
		t.Fatal(err)
	}
	if bm := srv.Messages(bob.ID); bm[len(bm)-1].Message != "thanks" || peerChatID(bm[len(bm)-1].PeerID) != "-90" {
		t.Errorf("bob got %v; want alice's thanks in the group", bm[len(bm)-1])
	}

	// The link again, by the room's address: a member already, the
	// group without a second join; so for a group alice was in before.
	imports := srv.Requests("messages.importChatInvite")
	for _, j := range []struct{ room, password, want, name string }{
		{"+BookClub7x", "", "-90", "Book Club"},
		{"joinchat", "t.me/joinchat/TeaTime_2", "-91", "Tea Room"},
	} {
		from := h.count()
		joined, err := s.JoinChat(ctx, sdk.Call{ChatID: j.room}, &pb.JoinChat{Password: j.password})
		if err != nil || joined != j.want {
			t.Fatalf("join %s %s: %q, %v; want %s", j.room, j.password, joined, err, j.want)
		}
		ev := h.wait(t, from, "the group "+j.want, isChat(j.want))
		if c := ev.GetChat().Chat; c.Name != j.name || !slices.ContainsFunc(c.Members, func(m *pb.Member) bool { return m.IsSelf }) {
			t.Errorf("the group's event %v: want %s with the user in it", c, j.name)
		}
	}
	if n := srv.Requests("messages.importChatInvite"); n != imports {
		t.Errorf("a member's join imported the link again (%d imports, want %d)", n, imports)
	}
	if m := srv.GroupInfo(90).Members; len(m) != 3 {
		t.Errorf("the group's members on Telegram %v: want bob, carol, alice once", m)
	}

	// An expired link: said so, no member.
	_, err = s.JoinChat(ctx, sdk.Call{ChatID: "joinchat"}, &pb.JoinChat{Password: "https://t.me/+Gone4Good"})
	wantCode(t, "join by an expired link", err, pb.ErrorCode_ERROR_CODE_EXPIRED, "expired", "INVITE_HASH_EXPIRED")
	if slices.Contains(srv.GroupInfo(92).Members, alice.ID) {
		t.Error("an expired link let alice in")
	}

	// A link that wants an admin's approval: the request is sent, and
	// the group's room comes once approved.
	_, err = s.JoinChat(ctx, sdk.Call{ChatID: "joinchat"}, &pb.JoinChat{Password: "https://t.me/+Ask-First"})
	wantCode(t, "join a basic group that approves newcomers", err, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "«Guarded»", "admins must approve", "INVITE_REQUEST_SENT")
	if g := srv.GroupInfo(93); !slices.Contains(g.Requests, alice.ID) || slices.Contains(g.Members, alice.ID) {
		t.Fatalf("after the request: requests %v, members %v; want alice waiting", g.Requests, g.Members)
	}
	from = h.count()
	srv.ApproveGroupJoinRequest(93, alice.ID)
	ev = h.wait(t, from, "the basic group once approved", isChat("-93"))
	if c := ev.GetChat().Chat; c.Name != "Guarded" || !slices.ContainsFunc(c.Members, func(m *pb.Member) bool { return m.IsSelf }) {
		t.Errorf("the approved group's event %v: want Guarded with the user in it", c)
	}
}
