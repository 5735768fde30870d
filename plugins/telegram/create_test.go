package telegram

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
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

// A group created under a txn ID is made once when the gateway sends the
// command again after the plugin stopped. Telegram made the group but
// its answer was lost (the plugin died waiting for it): after a restart
// the resend finds the group among the chats and answers with it. The
// plugin died after the answer, before the SDK journaled it: the resend
// answers with the group recorded. Another txn with the same name makes
// another group, and a txn whose first run Telegram refused makes its
// group on the resend.
func TestCreateChatResend(t *testing.T) {
	srv := newFake(t)
	s, h, info, n := connectAlice(t, srv)
	ctx := ctxT(t)
	restart := func() {
		t.Helper()
		if err := s.Disconnect(ctx); err != nil {
			t.Fatal(err)
		}
		s = connect(t, n, h, info)
		if _, err := s.ContactList(ctx); err != nil {
			t.Fatal(err)
		}
	}
	create := func(cctx context.Context, txn string) (string, error) {
		return s.CreateChat(cctx, sdk.Call{TxnID: txn}, &pb.CreateChat{Name: "Tea Party", MemberIds: []string{"1002"}})
	}
	wantCreates := func(what string, want int) {
		t.Helper()
		if got := len(srv.Creates()); got != want {
			t.Fatalf("%s: %d messages.createChat, want %d", what, got, want)
		}
	}
	if _, err := s.ContactList(ctx); err != nil {
		t.Fatal(err)
	}

	// The answer lost: the command ends without it.
	lost := srv.DropAnswer("messages.createChat")
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := create(cctx, "t1")
		errc <- err
	}()
	select {
	case <-lost:
	case <-ctx.Done():
		t.Fatal("no messages.createChat")
	}
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("the create whose answer was lost succeeded")
	}
	restart()
	chat, err := create(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	wantCreates("the resend after a lost answer", 1)
	id, err := strconv.ParseInt(strings.TrimPrefix(chat, "-"), 10, 64)
	if err != nil || !strings.HasPrefix(chat, "-") {
		t.Fatalf("chat %q: want a basic group", chat)
	}
	if g := srv.GroupInfo(id); g.Title != "Tea Party" || g.Creator != alice.ID {
		t.Errorf("the resend answered with %s, %+v: want the Tea Party made", chat, g)
	}

	// Answered, then the plugin died before the answer was journaled.
	restart()
	if again, err := create(ctx, "t1"); err != nil || again != chat {
		t.Errorf("the resend after an answer: %q %v, want %s", again, err, chat)
	}
	wantCreates("the resend after an answer", 1)

	// Another txn: another group, not t1's.
	other, err := create(ctx, "t2")
	if err != nil || other == chat {
		t.Fatalf("another txn with the same name: %q %v, want a new group", other, err)
	}
	wantCreates("another txn", 2)

	// Refused by Telegram: nothing made, so the resend makes the group.
	srv.SetRefuse("INTERNAL")
	if _, err := create(ctx, "t3"); err == nil {
		t.Fatal("the refused create succeeded")
	}
	srv.SetRefuse("")
	restart()
	third, err := create(ctx, "t3")
	if err != nil || third == chat || third == other {
		t.Fatalf("the resend of a refused create: %q %v, want a new group", third, err)
	}
	wantCreates("the resend of a refused create", 3)
}

// The record of groups being created is read back as written, keeps the
// newest createsMax, and a damaged file is set aside (logged) rather
// than stopping the creates: the next write starts afresh.
func TestCreateLogKept(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, createsFile)
	open := func() *createLog { return &createLog{path: path, log: slog.New(slog.DiscardHandler)} }
	l := open()
	for i := range createsMax + 2 {
		if err := l.put(createRecord{Txn: strconv.Itoa(i), Title: "Tea", At: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.put(createRecord{Txn: "5", Title: "Tea", At: 5, Chat: "-105"}); err != nil {
		t.Fatal(err)
	}
	l = open()
	if _, ok := l.get("1"); ok {
		t.Error("the oldest records are kept past createsMax")
	}
	if r, ok := l.get("5"); !ok || r.Chat != "-105" || r.At != 5 || r.Title != "Tea" {
		t.Errorf("record 5 read back: %+v %v", r, ok)
	}
	if !l.claimed("-105", "6") || l.claimed("-105", "5") {
		t.Error("-105 is txn 5's group, no other's")
	}

	if err := os.WriteFile(path, []byte(`[{"txn":"7",`), 0o600); err != nil {
		t.Fatal(err)
	}
	l = open()
	if _, ok := l.get("7"); ok {
		t.Error("a record read from a damaged file")
	}
	if _, err := os.Stat(path + ".damaged"); err != nil {
		t.Errorf("the damaged file not set aside: %v", err)
	}
	if err := l.put(createRecord{Txn: "8", Title: "Tea"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := open().get("8"); !ok {
		t.Error("no record written after a damaged file")
	}
}

// A second damaged record file is set aside beside the first, not over
// it: both stay for an administrator to look at.
func TestCreateLogSecondDamagedKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), createsFile)
	for _, bad := range []string{`[{"txn":"1",`, `[{"txn":"2",`} {
		if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		l := &createLog{path: path, log: slog.New(slog.DiscardHandler)}
		if _, ok := l.get("1"); ok {
			t.Fatalf("a record read from the damaged %q", bad)
		}
	}
	for to, want := range map[string]string{path + ".damaged": `[{"txn":"1",`, path + ".damaged.2": `[{"txn":"2",`} {
		if b, err := os.ReadFile(to); err != nil || string(b) != want {
			t.Errorf("%s: %q %v, want %q", filepath.Base(to), b, err, want)
		}
	}
}
