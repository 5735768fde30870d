package telegram

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/botmode"
)

// memberIDs are the user IDs of a chat's members, sorted.
func memberIDs(c *pb.Chat) []string {
	var out []string
	for _, m := range c.Members {
		out = append(out, m.UserId)
	}
	slices.Sort(out)
	return out
}

// Creating a group from XMPP on the fake Telegram: messages.createChat
// with the name and the contacts' InputUsers (each once, the user left
// out), the new basic group's ID -N as the answer, its ChatEvent with
// the user as owner and the members; a contact whose privacy settings
// refuse does not fail it (the group is made without her, and its event
// says so); IDs that name no user known to the login are refused before
// anything is asked of Telegram; an account Telegram limits is refused
// in words.
func TestCreateChatLive(t *testing.T) {
	srv := newFake(t)
	srv.AddUser(dave)
	srv.AddUser(erin)
	srv.AddContact(alice.ID, dave.ID)
	srv.AddContact(alice.ID, erin.ID)
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ContactList(ctx); err != nil { // as the gateway does: the members are contacts
		t.Fatal(err)
	}
	created := func(name string, members ...string) (string, *pb.Chat) {
		t.Helper()
		from := h.count()
		chat, err := s.CreateChat(ctx, sdk.Call{}, &pb.CreateChat{Name: name, MemberIds: members})
		if err != nil {
			t.Fatalf("create %q: %v", name, err)
		}
		ev := h.wait(t, from, "the new group "+chat, func(ev *pb.Event) bool { return ev.ChatId == chat && ev.GetChat() != nil })
		return chat, ev.GetChat().Chat
	}
	wantRequest := func(title string, users ...int64) {
		t.Helper()
		cs := srv.Creates()
		if len(cs) == 0 {
			t.Fatal("no messages.createChat")
		}
		if c := cs[len(cs)-1]; c.By != alice.ID || c.Title != title || !slices.Equal(c.Users, users) {
			t.Errorf("messages.createChat %+v: want %q with %v", c, title, users)
		}
	}
	groupOf := func(chat string) int64 {
		t.Helper()
		n, err := strconv.ParseInt(strings.TrimPrefix(chat, "-"), 10, 64)
		if err != nil || !strings.HasPrefix(chat, "-") || strings.HasPrefix(chat, channelPrefix) {
			t.Fatalf("chat ID %q: want a basic group's -N", chat)
		}
		return n
	}

	// Bob and Dave, Bob named twice and Alice herself once.
	chat, c := created(" Tea Party ", "1002", "1004", "1002", "1001")
	wantRequest("Tea Party", bob.ID, dave.ID)
	g := srv.GroupInfo(groupOf(chat))
	if g.Title != "Tea Party" || g.Creator != alice.ID || !slices.Equal(g.Members, []int64{alice.ID, bob.ID, dave.ID}) {
		t.Errorf("the group on Telegram: %+v; want Tea Party by alice, with bob and dave", g)
	}
	if c.ChatId != chat || c.Type != pb.ChatType_CHAT_TYPE_GROUP || c.Name != "Tea Party" || !slices.Equal(memberIDs(c), []string{"1001", "1002", "1004"}) {
		t.Errorf("the new group's event %v: want Tea Party with alice, bob and dave", c)
	}
	for _, m := range c.Members {
		if m.IsSelf != (m.UserId == "1001") || m.IsSelf && m.Affiliation != pb.Affiliation_AFFILIATION_OWNER {
			t.Errorf("member %v: want alice the owner", m)
		}
		if m.UserId == "1004" && m.Nick != "Dave" {
			t.Errorf("member %v: want Dave's name", m)
		}
	}

	// Erin's privacy settings let only her contacts add her: the group
	// is made, with Bob alone.
	chat2, c := created("Book Club", "1005", "1002")
	wantRequest("Book Club", erin.ID, bob.ID)
	if chat2 == chat {
		t.Fatalf("a second group with the first's ID %s", chat)
	}
	if g := srv.GroupInfo(groupOf(chat2)); !slices.Equal(g.Members, []int64{alice.ID, bob.ID}) {
		t.Errorf("the group on Telegram: members %v; want alice and bob", g.Members)
	}
	if !slices.Equal(memberIDs(c), []string{"1001", "1002"}) {
		t.Errorf("the group's event %v: want alice and bob, not erin", c)
	}

	// Refused before Telegram is asked.
	before := len(srv.Creates())
	for _, tc := range []struct {
		name    string
		members []string
		code    pb.ErrorCode
	}{
		{"Strangers", []string{"999"}, pb.ErrorCode_ERROR_CODE_NOT_FOUND}, // no user the login knows
		{"Groups", []string{"-77"}, pb.ErrorCode_ERROR_CODE_NOT_FOUND},    // a group, not a user
		{"   ", []string{"1002"}, pb.ErrorCode_ERROR_CODE_BAD_REQUEST},    // no name
		{"Names", []string{"bob"}, pb.ErrorCode_ERROR_CODE_NOT_FOUND},     // a name, not a user ID
	} {
		_, err := s.CreateChat(ctx, sdk.Call{}, &pb.CreateChat{Name: tc.name, MemberIds: tc.members})
		wantCode(t, "create "+tc.name, err, tc.code)
	}
	if n := len(srv.Creates()); n != before {
		t.Errorf("%d messages.createChat for refused groups", n-before)
	}

	// Alice reported for spam: Telegram refuses, in words.
	limited := alice
	limited.SpamRestricted = true
	srv.AddUser(limited) // replaces her record; her session stays
	_, err := s.CreateChat(ctx, sdk.Call{}, &pb.CreateChat{Name: "Later", MemberIds: []string{"1002"}})
	wantCode(t, "create while limited", err, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "spam", "USER_RESTRICTED")
}

// Telegram's refusals of messages.createChat as the gateway shows them,
// on the mocked API: the request names the members with their access
// hashes.
func TestCreateChatRefusals(t *testing.T) {
	s, mock := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		err   error
		code  pb.ErrorCode
		words []string
	}{
		{tgerr.New(420, "FLOOD_WAIT_30"), pb.ErrorCode_ERROR_CODE_RATE_LIMITED, []string{"wait 30s", "FLOOD_WAIT"}},
		{tgerr.New(400, "CHAT_TITLE_EMPTY"), pb.ErrorCode_ERROR_CODE_BAD_REQUEST, []string{"name", "CHAT_TITLE_EMPTY"}},
		{tgerr.New(406, "USER_RESTRICTED"), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, []string{"spam", "USER_RESTRICTED"}},
		{tgerr.New(400, "USERS_TOO_FEW"), pb.ErrorCode_ERROR_CODE_BAD_REQUEST, []string{"member", "USERS_TOO_FEW"}},
		{tgerr.New(400, "CHANNELS_TOO_MUCH"), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, []string{"as many groups"}},
	} {
		mock.ExpectCall(&tg.MessagesCreateChatRequest{Users: []tg.InputUserClass{&tg.InputUser{UserID: 1002, AccessHash: 2}}, Title: "Tea"}).ThenErr(tc.err)
		_, err := s.CreateChat(ctx, sdk.Call{}, &pb.CreateChat{Name: "Tea", MemberIds: []string{"1002"}})
		wantCode(t, tc.err.Error(), err, tc.code, tc.words...)
	}
}

// A bot cannot create groups: a bot login refuses, and bot mode's own
// session has no ChatCreator (its plugin does not advertise
// create_chat).
func TestCreateChatBot(t *testing.T) {
	srv := newFake(t)
	n, _ := newNetwork(t, srv)
	ctx := ctxT(t)
	s, err := n.LoadLogin(ctx, sdk.LoginInfo{LoginID: botmode.LoginIDFor(42), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateChat(ctx, sdk.Call{}, &pb.CreateChat{Name: "Tea", MemberIds: []string{"1002"}})
	wantCode(t, "a bot creating a group", err, pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "bot")
	if _, ok := any(s.bot).(sdk.ChatCreator); ok {
		t.Error("bot mode's session is a ChatCreator")
	}
	if srv.Requests("messages.createChat") != 0 {
		t.Error("a bot login asked Telegram to create a group")
	}
}
