package signal_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// hikers is a group alice is not in, with bob its admin.
func hikers() fakesignal.Group {
	return fakesignal.Group{ID: fakesignal.NewGroupID(), Name: "Hikers", Description: "trails",
		Members: []fakesignal.Member{{Number: bob, UUID: bobACI, Admin: true}, {Number: carol, UUID: carolACI}}}
}

// joinEvent waits for the ChatEvent of chatID.
func (s *session) joinEvent(chatID string) *pb.Event {
	s.t.Helper()
	return s.next(func(ev *pb.Event) bool { return ev.GetChat() != nil && ev.ChatId == chatID })
}

// A group is joined by its link, the password of the room joinchat (in
// the app's sgnl:// spelling too): signal-cli's joinGroup with the link;
// the join answers with the group's own chat ID, announced with its
// members; a message then goes to it. A second join by the same link
// (without its scheme) finds the group the account is in, by the link
// listGroups gives, and answers the same without joining again.
func TestJoinChatByLink(t *testing.T) {
	d, _ := startFake(t)
	g := hikers()
	link := d.AddGroupLink(fakesignal.GroupLink{Group: g})
	s := newSession(t, d)
	f := s.p.Caps.GetFeatures()
	if !f.GetJoinChat() || !slices.Equal(f.GetJoinChatPrefixes(), []string{"joinchat"}) {
		t.Fatalf("features: join_chat %v, prefixes %v", f.GetJoinChat(), f.GetJoinChatPrefixes())
	}
	chatID := hexGroup(g.ID)
	// A group's chat ID has the form join_chat_pattern says, which no
	// user's ID has.
	pattern := regexp.MustCompile(`^(?:` + f.GetJoinChatPattern() + `)$`)
	if f.GetJoinChatPattern() == "" || !pattern.MatchString(chatID) {
		t.Fatalf("join_chat_pattern %q does not match a group's chat ID %s", f.GetJoinChatPattern(), chatID)
	}
	for _, user := range []string{bob, bobACI, "joinchat"} {
		if pattern.MatchString(user) {
			t.Errorf("join_chat_pattern %q matches %s", f.GetJoinChatPattern(), user)
		}
	}

	sgnl := "sgnl://signal.group/#" + strings.TrimPrefix(link, fakesignal.LinkPrefix)
	res := s.do("joinchat", &pb.JoinChat{Nick: "alice", Password: " " + sgnl + "\n"})
	if res.Error != nil || res.ChatId != chatID {
		t.Fatalf("join: %v, want the chat %s", res, chatID)
	}
	if req, _ := lastRequest(d, "joinGroup"); req.Params["uri"] != link {
		t.Fatalf("joinGroup params: %v, want uri %s", req.Params, link)
	}
	ev := s.joinEvent(chatID)
	chat := ev.GetChat().Chat
	var ids []string
	for _, m := range chat.Members {
		ids = append(ids, m.UserId)
		if (m.UserId == alice) != m.IsSelf || (m.UserId == bob) != (m.Affiliation == pb.Affiliation_AFFILIATION_ADMIN) {
			t.Errorf("member %v", m)
		}
	}
	slices.Sort(ids)
	if chat.Name != "Hikers" || chat.Topic != "trails" || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP ||
		!slices.Equal(ids, []string{alice, bob, carol}) {
		t.Fatalf("ChatEvent: %v", ev)
	}

	if res := s.do(chatID, &pb.SendMessage{Text: "see you at the top"}); res.Error != nil {
		t.Fatalf("send to the joined group: %v", res.Error)
	}
	if req, _ := lastRequest(d, "send"); req.Params["groupId"] != g.ID || req.Params["message"] != "see you at the top" {
		t.Fatalf("send: %v", req)
	}

	res = s.do("joinchat", &pb.JoinChat{Password: strings.TrimPrefix(link, "https://")})
	if res.Error != nil || res.ChatId != chatID {
		t.Fatalf("join again: %v", res)
	}
	s.joinEvent(chatID)
	if n := d.Calls("joinGroup"); n != 1 {
		t.Fatalf("joinGroup asked %d times; the second join is of a group alice is in", n)
	}
}

// A link whose group's admins approve newcomers sends a request: the
// join is refused saying so (again for a second try, which signal-cli
// refuses as pending), and the group comes once an admin approves it.
func TestJoinChatApproval(t *testing.T) {
	d, _ := startFake(t)
	g := hikers()
	link := d.AddGroupLink(fakesignal.GroupLink{Group: g, Approval: true})
	s := newSession(t, d)

	wantRefused(t, "a join needing approval", s.do("joinchat", &pb.JoinChat{Password: link}),
		pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "request", "is sent", "admins must approve")
	wantRefused(t, "a second join needing approval", s.do("joinchat", &pb.JoinChat{Password: link}),
		pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "request", "sent already")
	if _, ok := d.GetGroup(alice, g.ID); ok {
		t.Fatal("alice is in the group before an admin approved her")
	}

	joined, err := d.ApproveJoin(alice, link)
	if err != nil {
		t.Fatal(err)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		GroupInfo: &fakesignal.GroupInfo{GroupID: g.ID, Revision: joined.Revision, Type: "UPDATE"}}})
	if ev := s.joinEvent(hexGroup(g.ID)); ev.GetChat().Chat.Name != "Hikers" || len(ev.GetChat().Chat.Members) != 3 {
		t.Fatalf("the approved group: %v", ev)
	}
}

// What signal-cli refuses is refused with the contract's code and words:
// a link no group has (NOT_FOUND), one reset or turned off (EXPIRED), a
// ban (BANNED: forbidden, which XMPP clients show as a ban). A join without a link says to give one as the
// room's password (not-authorized: clients ask for it), a password that
// is no link and any other room are refused before signal-cli is asked.
func TestJoinChatRefused(t *testing.T) {
	d, _ := startFake(t)
	reset := d.AddGroupLink(fakesignal.GroupLink{Group: hikers(), Inactive: true})
	banned := d.AddGroupLink(fakesignal.GroupLink{Group: hikers(), Banned: true})
	s := newSession(t, d)

	wantRefused(t, "a link no group has", s.do("joinchat", &pb.JoinChat{Password: fakesignal.LinkPrefix + "CjQKIAbc"}),
		pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no Signal group has this link", "Group link is invalid")
	wantRefused(t, "a reset link", s.do("joinchat", &pb.JoinChat{Password: reset}),
		pb.ErrorCode_ERROR_CODE_EXPIRED, "ask them for a new one")
	wantRefused(t, "a ban", s.do("joinchat", &pb.JoinChat{Password: banned}),
		pb.ErrorCode_ERROR_CODE_BANNED, "keep you out")
	if n := d.Calls("joinGroup"); n != 3 {
		t.Fatalf("joinGroup asked %d times, want 3", n)
	}

	wantRefused(t, "no password", s.do("joinchat", &pb.JoinChat{Nick: "alice"}),
		pb.ErrorCode_ERROR_CODE_UNAUTHORIZED, "group link", "password")
	for _, pw := range []string{"hello", "https://t.me/+AbCd", "https://signal.group/", "https://signal.group/x#abc", "https://signal.group/#a b"} {
		wantRefused(t, "the password "+pw, s.do("joinchat", &pb.JoinChat{Password: pw}),
			pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "no Signal group link")
	}
	for _, room := range []string{"hikers", hexGroup(fakesignal.NewGroupID()), bob} {
		wantRefused(t, "the room "+room, s.do(room, &pb.JoinChat{Password: reset}),
			pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no public names", "joinchat@", "password")
	}
	if n := d.Calls("joinGroup"); n != 3 {
		t.Fatalf("joinGroup asked %d times; what is no link is refused before", n)
	}
}
