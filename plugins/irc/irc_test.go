package irc_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ergochat/irc-go/ircmsg"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

func TestMain(m *testing.M) { plugintest.Main(m) }

const pluginPkg = "passerelle.im/passerelle/cmd/passerelle-irc"

func loginFields(s *ngircd, nick, channels string) map[string]string {
	return map[string]string{"server": "127.0.0.1", "port": strconv.Itoa(s.port), "tls": "off",
		"nick": nick, "channels": channels}
}

// inbox keeps the PRIVMSG texts a client got, by sender nick.
type inbox struct {
	mu  sync.Mutex
	got map[string][]string
	n   atomic.Int64
}

func (b *inbox) add(from, text string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got[strings.ToLower(from)] = append(b.got[strings.ToLower(from)], text)
	b.n.Add(1)
}

func (b *inbox) from(nick string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.got[strings.ToLower(nick)])
}

// The conformance kit passes against a real IRC server: bob is a plain
// IRC client the plugin's user (alice) talks to, and #conf a channel
// alice joins at login.
func TestConformance(t *testing.T) {
	s := startNgircd(t)
	bob := newClient(t, s, "bob")
	box := &inbox{got: map[string][]string{}}
	bob.conn.AddCallback("PRIVMSG", func(m ircmsg.Message) { box.add(m.Nick(), m.Params[1]) })
	var n atomic.Int64
	plugintest.Run(t, plugintest.Config{
		Binary:      plugintest.BuildBinary(t, pluginPkg),
		LoginFields: loginFields(s, "alice", "#conf"),
		Contact:     "bob",
		Group:       "#conf",
		Incoming: func(t testing.TB, loginID, chatID string) string {
			text := fmt.Sprintf("from bob %d", n.Add(1))
			if err := bob.conn.Privmsg("alice", text); err != nil {
				t.Fatal(err)
			}
			return text
		},
		Delivered: func(t testing.TB, loginID, chatID string) []string {
			// Sends reach bob through the server: wait until they stop coming.
			for last := int64(-1); last != box.n.Load(); {
				last = box.n.Load()
				time.Sleep(500 * time.Millisecond)
			}
			return box.from("alice")
		},
	})
}

// A user of the plugin chats with plain IRC users: private messages and
// /me both ways, channel members with their roles, channel messages both
// ways, members joining, leaving and renaming, the topic.
func TestChatting(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "Dave")
	dave.join("#Room")

	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	login := p.Login("", loginFields(s, "carol", "#room"))
	if !ownLoginID(login.LoginId, "carol@127.0.0.1:"+strconv.Itoa(s.port)) {
		t.Errorf("login ID %q", login.LoginId)
	}
	p.Connect(login.LoginId, login.SavedState)
	st := evs.NextEvent(func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	if msg := st.GetLoginState().Message; !strings.Contains(msg, "as carol") {
		t.Errorf("connected message %q", msg)
	}
	loginID := login.LoginId

	// The channel is a group with its members: Dave opened it, so he is
	// its operator.
	ctx, cancel := p.CallContext()
	defer cancel()
	list, err := p.Client().ChatList(ctx, &pb.LoginRef{LoginId: loginID})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Chats) != 1 || list.Chats[0].ChatId != "#room" || list.Chats[0].Type != pb.ChatType_CHAT_TYPE_GROUP {
		t.Fatalf("chat list %v, want #room", list.Chats)
	}
	// The user is the member marked is_self, under the login ID.
	members := map[string]*pb.Member{}
	for _, m := range list.Chats[0].Members {
		members[m.UserId] = m
	}
	if d, me := members["dave"], members[loginID]; len(members) != 2 || d.GetRole() != pb.Role_ROLE_MODERATOR || d.GetIsSelf() ||
		me.GetNick() != "carol" || !me.GetIsSelf() || me.GetRole() != pb.Role_ROLE_PARTICIPANT {
		t.Errorf("members %v, want dave as moderator and carol as the user", list.Chats[0].Members)
	}

	msgIn := func(chatID, text string) *pb.Event {
		t.Helper()
		return evs.NextEvent(func(ev *pb.Event) bool {
			return ev.ChatId == chatID && ev.GetMessage().GetText() == text
		})
	}

	// Private messages and /me from Dave.
	if err := dave.conn.Privmsg("carol", "hi carol"); err != nil {
		t.Fatal(err)
	}
	ev := msgIn("dave", "hi carol")
	if ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT || ev.Sender.UserId != "dave" || ev.Sender.Name != "Dave" {
		t.Errorf("private message event %v", ev)
	}
	if err := dave.conn.Action("carol", "waves"); err != nil {
		t.Fatal(err)
	}
	msgIn("dave", "/me waves")

	// And to him: the chat ID is the folded nick, any case reaches him.
	cmds := p.Commands()
	for _, text := range []string{"hello Dave", "/me smiles"} {
		if res := cmds.Send(plugintest.SendText(loginID, "dave", "", text)); res.Error != nil || res.MessageId == "" {
			t.Fatalf("send %q: %v", text, res)
		}
	}
	dave.await("PRIVMSG", "hello Dave")
	dave.await("CTCP_ACTION", "smiles")

	// A text longer than an IRC line goes in several, cut between
	// characters, nothing lost.
	long := strings.Repeat("é", 700) // 1400 bytes
	if res := cmds.Send(plugintest.SendText(loginID, "dave", "", long)); res.Error != nil {
		t.Fatalf("send a long text: %v", res.Error)
	}
	var got string
	for len(got) < len(long) {
		m := dave.await("PRIVMSG", "")
		if len(m.Params[1]) > 450 {
			t.Errorf("a line of %d bytes", len(m.Params[1]))
		}
		got += m.Params[1]
	}
	if got != long {
		t.Errorf("the long text arrived as %d bytes, not the %d sent", len(got), len(long))
	}

	// The channel both ways.
	if err := dave.conn.Privmsg("#Room", "hi room"); err != nil {
		t.Fatal(err)
	}
	ev = msgIn("#room", "hi room")
	if ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || ev.Sender.UserId != "dave" {
		t.Errorf("channel message event %v", ev)
	}
	if res := cmds.Send(plugintest.SendText(loginID, "#room", "", "hi all")); res.Error != nil {
		t.Fatalf("send to #room: %v", res.Error)
	}
	if m := dave.await("PRIVMSG", "hi all"); m.Params[0] != "#Room" && m.Params[0] != "#room" {
		t.Errorf("channel message went to %q", m.Params[0])
	}
	// Not in a channel: refused, nothing sent.
	if res := cmds.Send(plugintest.SendText(loginID, "#elsewhere", "", "lost")); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("send to a channel not joined: %v, want NOT_FOUND", res.Error)
	}

	member := func(kind pb.MemberEvent_Kind, userID string) *pb.Event {
		t.Helper()
		return evs.NextEvent(func(ev *pb.Event) bool {
			m := ev.GetMember()
			return ev.ChatId == "#room" && m != nil && m.Kind == kind && m.Member.GetUserId() == userID
		})
	}
	// Erin comes, is renamed, leaves; Dave sets the topic.
	erin := newClient(t, s, "erin")
	erin.join("#room")
	member(pb.MemberEvent_KIND_JOINED, "erin")
	erin.conn.SetNick("erin2")
	if ev := member(pb.MemberEvent_KIND_RENAMED, "erin"); ev.GetMember().Member.Nick != "erin2" {
		t.Errorf("renamed event %v", ev)
	}
	if err := erin.conn.Part("#room"); err != nil {
		t.Fatal(err)
	}
	// Erin keeps her ID through the rename: she is the same member.
	if ev := member(pb.MemberEvent_KIND_LEFT, "erin"); ev.GetMember().Member.Nick != "erin2" {
		t.Errorf("left event %v", ev)
	}

	if err := dave.conn.Send("TOPIC", "#Room", "the new topic"); err != nil {
		t.Fatal(err)
	}
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetTopic() != nil })
	if ev.ChatId != "#room" || ev.GetTopic().Topic != "the new topic" || ev.Sender.UserId != "dave" {
		t.Errorf("topic event %v", ev)
	}
	info, err := p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: loginID, ChatId: "#room"})
	if err != nil || info.Topic != "the new topic" {
		t.Errorf("ChatInfo: %v, %v; want the new topic", info, err)
	}

	// Leaving parts the channel.
	if res := cmds.Send(plugintest.Act(loginID, "#room", "", &pb.LeaveChat{})); res.Error != nil {
		t.Fatalf("leave: %v", res.Error)
	}
	for {
		if m := dave.await("PART", ""); m.Nick() == "carol" {
			break
		}
	}
	// For good: the saved state no longer has the channel, so it is not
	// rejoined on the next connection.
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetSavedState() != nil })
	if s := string(ev.GetSavedState().SavedState); strings.Contains(s, "#room") {
		t.Errorf("saved state after leaving: %s", s)
	}
}

// A nick in use is replaced, and the user told so when connected.
func TestNickInUse(t *testing.T) {
	s := startNgircd(t)
	newClient(t, s, "frank")
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	login := p.Login("", loginFields(s, "frank", ""))
	p.Connect(login.LoginId, login.SavedState)
	st := evs.NextEvent(func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	if msg := st.GetLoginState().Message; !strings.Contains(msg, "frank is in use") {
		t.Errorf("connected message %q, want it to say the nick is in use", msg)
	}
}

// A server that is not there: the login says why, and is not connected.
func TestServerRefuses(t *testing.T) {
	s := startNgircd(t)
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	f := loginFields(s, "gina", "")
	f["port"] = "1" // nothing listens there
	login := p.Login("", f)
	p.Connect(login.LoginId, login.SavedState)
	st := evs.NextEvent(func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT
	})
	if msg := st.GetLoginState().Message; !strings.Contains(msg, "refused") {
		t.Errorf("message %q", msg)
	}
}

// A server that takes only clients with its password, and the login
// has none (or a wrong one), ends the registration: the login's state
// says it refused the connection, in the server's words. Before, it said
// only "Disconnected by server".
func TestServerPasswordRefuses(t *testing.T) {
	s := startNgircdWith(t, "", "", "Password = letmein")
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	login := p.Login("", loginFields(s, "gus", ""))
	p.Connect(login.LoginId, login.SavedState)
	st := evs.NextEvent(func(ev *pb.Event) bool {
		return strings.Contains(ev.GetLoginState().GetMessage(), "refused the connection")
	}).GetLoginState()
	t.Logf("state: %v %s", st.State, st.Message)
	if !strings.Contains(st.Message, "password") {
		t.Errorf("state message %q, want the server's words about its password", st.Message)
	}
}

// A server (or a bouncer: ZNC, soju) that takes only clients with its
// password: the login form's server password is sent as PASS, at each
// connection. Before, the form had no such field, and such a server
// could not be used at all.
func TestServerPassword(t *testing.T) {
	s := startNgircdWith(t, "", "", "Password = let me in")
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	f := loginFields(s, "gus", "#pw")
	f["server_password"] = "let me in"
	login := p.Login("", f)
	if !strings.Contains(string(login.SavedState), "let me in") {
		t.Errorf("saved state %s lacks the server password", login.SavedState)
	}
	p.Connect(login.LoginId, login.SavedState)
	connected := func() {
		t.Helper()
		evs.NextEvent(func(ev *pb.Event) bool {
			return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
		})
	}
	connected()
	// A reconnection sends it again.
	s.stop()
	evs.NextEvent(func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT
	})
	s.start()
	connected()
}

// When the server goes away the login says so, reconnects when it is
// back, and rejoins its channels.
func TestReconnect(t *testing.T) {
	s := startNgircd(t)
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	login := p.Login("", loginFields(s, "hank", "#back"))
	p.Connect(login.LoginId, login.SavedState)
	state := func(want pb.LoginState) {
		t.Helper()
		evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == want })
	}
	state(pb.LoginState_LOGIN_STATE_CONNECTED)

	s.stop()
	state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT)
	// An attempt while the server is down says why it failed.
	evs.NextEvent(func(ev *pb.Event) bool {
		msg := ev.GetLoginState().GetMessage()
		return strings.Contains(msg, "could not reconnect") && strings.Contains(msg, "connection refused")
	})
	s.start()
	state(pb.LoginState_LOGIN_STATE_CONNECTED)

	ctx, cancel := p.CallContext()
	defer cancel()
	list, err := p.Client().ChatList(ctx, &pb.LoginRef{LoginId: login.LoginId})
	if err != nil || len(list.GetChats()) != 1 || list.Chats[0].ChatId != "#back" {
		t.Fatalf("chat list after reconnecting: %v, %v; want #back", list, err)
	}
	ivy := newClient(t, s, "ivy")
	ivy.join("#back")
	if err := ivy.conn.Privmsg("#back", "welcome back"); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.ChatId == "#back" && ev.GetMessage().GetText() == "welcome back" })
}

// A SASL account the server does not take is bad credentials, said
// clearly, and not tried again and again.
func TestSASLRefused(t *testing.T) {
	s := startNgircd(t) // ngircd has no SASL at all
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	f := loginFields(s, "jane", "")
	f["sasl_user"], f["sasl_password"] = "jane", "secret"
	login := p.Login("", f)
	p.Connect(login.LoginId, login.SavedState)
	st := evs.NextEvent(func(ev *pb.Event) bool {
		st := ev.GetLoginState().GetState()
		return st != pb.LoginState_LOGIN_STATE_CONNECTING && st != pb.LoginState_LOGIN_STATE_UNKNOWN
	})
	if st.GetLoginState().State != pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS || !strings.Contains(st.GetLoginState().Message, "SASL") {
		t.Errorf("login state %v, want bad credentials naming SASL", st.GetLoginState())
	}
}

// editState is a login's saved state (its Account's JSON) changed by
// edit, as a login saved by an older plugin, or by hand, may have it.
func editState(t *testing.T, saved []byte, edit func(acc map[string]any)) []byte {
	t.Helper()
	var acc map[string]any
	if err := json.Unmarshal(saved, &acc); err != nil {
		t.Fatalf("the saved state: %v", err)
	}
	edit(acc)
	b, err := json.Marshal(acc)
	if err != nil {
		t.Fatalf("the saved state edited: %v", err)
	}
	return b
}
