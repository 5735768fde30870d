package irc_test

import (
	"slices"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// command is a command of the contract words plugintest.Act lacks.
func command(loginID, chatID string, action any) *pb.Command {
	c := &pb.Command{LoginId: loginID, ChatId: chatID}
	switch a := action.(type) {
	case *pb.JoinChat:
		c.Action = &pb.Command_Join{Join: a}
	case *pb.SetNick:
		c.Action = &pb.Command_SetNick{SetNick: a}
	default:
		return plugintest.Act(loginID, chatID, "", action)
	}
	return c
}

// loggedIn starts the plugin with config (nil: none) and logs nick in on s
// with these channels, connected.
func loggedIn(t *testing.T, s *ngircd, config, nick, channels string) (*plugintest.Plugin, *plugintest.EventStream, *pb.CompleteStep) {
	t.Helper()
	var cfg []byte
	if config != "" {
		cfg = []byte(config)
	}
	return loginConnected(t, cfg, loginFields(s, nick, channels))
}

func selfOf(c *pb.Chat) *pb.Member {
	for _, m := range c.GetMembers() {
		if m.IsSelf {
			return m
		}
	}
	return nil
}

// Joining a channel from XMPP: the chat with its members comes before
// the command's answer, the channel is the login's from then on (with
// its key, used again after a restart); what the server refuses is a
// clear error of the matching kind, and changes nothing.
func TestJoinChat(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "dave")
	for _, ch := range []string{"#open", "#secret", "#invite", "#banned"} {
		dave.join(ch)
	}
	for _, mode := range [][]string{{"#secret", "+k", "pw"}, {"#invite", "+i"}, {"#banned", "+b", "kim!*@*"}} {
		if err := dave.conn.Send("MODE", mode...); err != nil {
			t.Fatal(err)
		}
		dave.await("MODE", "")
	}

	p, evs, login := loggedIn(t, s, "", "kim", "")
	cmds := p.Commands()
	join := func(chatID, key string) *pb.CommandResult {
		t.Helper()
		return cmds.Send(command(login.LoginId, chatID, &pb.JoinChat{Nick: "ignored", Password: key}))
	}

	if res := join("#Open", ""); res.Error != nil {
		t.Fatalf("join #Open: %v", res.Error)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil })
	chat := ev.GetChat().Chat
	if ev.ChatId != "#open" || chat.ChatId != "#open" || chat.Type != pb.ChatType_CHAT_TYPE_GROUP || len(chat.Members) != 2 {
		t.Fatalf("chat event %v", ev)
	}
	if me := selfOf(chat); me.GetUserId() != login.LoginId || me.Nick != "kim" {
		t.Errorf("own member %v, want kim under the login ID", me)
	}
	for m := dave.await("JOIN", ""); m.Nick() != "kim"; m = dave.await("JOIN", "") {
	}
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetSavedState() != nil })
	if st := string(ev.GetSavedState().SavedState); !strings.Contains(st, `"#Open"`) {
		t.Errorf("saved state after the join: %s", st)
	}
	// Joining again answers again, and changes nothing.
	if res := join("#open", ""); res.Error != nil {
		t.Fatalf("join #open again: %v", res.Error)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil && ev.ChatId == "#open" })

	for _, tc := range []struct {
		chat, key string
		want      pb.ErrorCode
		says      string
	}{
		{"dave", "", pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no IRC channel"},
		{"#two words", "", pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no IRC channel"},
		{"#secret", "", pb.ErrorCode_ERROR_CODE_UNAUTHORIZED, "key"},
		{"#secret", "wrong", pb.ErrorCode_ERROR_CODE_UNAUTHORIZED, "key"},
		{"#secret", "a b", pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "key"},
		{"#invite", "", pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "invite-only"},
		{"#banned", "", pb.ErrorCode_ERROR_CODE_BANNED, "banned"},
	} {
		res := join(tc.chat, tc.key)
		if res.Error.GetCode() != tc.want || !strings.Contains(res.Error.GetText(), tc.says) {
			t.Errorf("join %q with key %q: %v, want %v saying %q", tc.chat, tc.key, res.Error, tc.want, tc.says)
		}
	}
	ctx, cancel := p.CallContext()
	defer cancel()
	if list, err := p.Client().ChatList(ctx, &pb.LoginRef{LoginId: login.LoginId}); err != nil || len(list.Chats) != 1 {
		t.Fatalf("chats after the refusals: %v, %v; want #open only", list, err)
	}

	if res := join("#secret", "pw"); res.Error != nil {
		t.Fatalf("join #secret with its key: %v", res.Error)
	}
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetSavedState() != nil })
	state := ev.GetSavedState().SavedState
	if st := string(state); !strings.Contains(st, `"#secret"`) || !strings.Contains(st, `"keys":{"#secret":"pw"}`) {
		t.Errorf("saved state after the keyed join: %s", st)
	}

	// A restart of the plugin from the saved state rejoins both, the
	// keyed one with its key.
	p.Restart()
	evs = p.Events()
	p.Connect(login.LoginId, state)
	joined := map[string]bool{}
	for len(joined) < 2 {
		ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil })
		joined[ev.ChatId] = true
	}
	if !joined["#open"] || !joined["#secret"] {
		t.Errorf("rejoined %v", joined)
	}
}

// Changing the nick: the server's answer is a rename of the user's own
// member, in every channel, before the command's answer; the nick is the
// login's from then on. A nick in use or malformed is refused clearly.
func TestSetNick(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "dave")
	dave.join("#a")
	dave.join("#b")
	p, evs, login := loggedIn(t, s, "", "lou", "#a,#b")
	cmds := p.Commands()

	if res := cmds.Send(command(login.LoginId, "#a", &pb.SetNick{Nick: "Lou2"})); res.Error != nil {
		t.Fatalf("set nick: %v", res.Error)
	}
	renamed := map[string]bool{}
	for len(renamed) < 2 {
		ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMember().GetKind() == pb.MemberEvent_KIND_RENAMED })
		m := ev.GetMember().Member
		if m.UserId != login.LoginId || !m.IsSelf || m.Nick != "Lou2" || !ev.Sender.GetIsFromMe() {
			t.Errorf("rename event %v", ev)
		}
		renamed[ev.ChatId] = true
	}
	if !renamed["#a"] || !renamed["#b"] {
		t.Errorf("renamed in %v", renamed)
	}
	dave.await("NICK", "Lou2")
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetSavedState() != nil })
	if st := string(ev.GetSavedState().SavedState); !strings.Contains(st, `"nick":"Lou2"`) {
		t.Errorf("saved state after the nick change: %s", st)
	}
	// Messages from the user carry the login ID.
	if err := dave.conn.Privmsg("#a", "hello Lou2"); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage().GetText() == "hello Lou2" })

	for _, tc := range []struct {
		nick string
		want pb.ErrorCode
	}{
		{"dave", pb.ErrorCode_ERROR_CODE_CONFLICT},
		{"9lives", pb.ErrorCode_ERROR_CODE_BAD_REQUEST},
		{"two words", pb.ErrorCode_ERROR_CODE_BAD_REQUEST},
	} {
		if res := cmds.Send(command(login.LoginId, "#a", &pb.SetNick{Nick: tc.nick})); res.Error.GetCode() != tc.want {
			t.Errorf("set nick %q: %v, want %v", tc.nick, res.Error, tc.want)
		}
	}
	ctx, cancel := p.CallContext()
	defer cancel()
	info, err := p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: login.LoginId, ChatId: "#b"})
	if err != nil || selfOf(info).GetNick() != "Lou2" {
		t.Errorf("#b after the refusals: %v, %v; want the user as Lou2", info, err)
	}
}

// When the server gives the user another nick on reconnecting (theirs
// was taken meanwhile), the gateway hears a rename of the user's member.
func TestNickTakenOnReconnect(t *testing.T) {
	s := startNgircd(t)
	// The first reconnection waits 1.5 to 3 s: time for mo to come.
	p, evs, login := loggedIn(t, s, `{"reconnect_min":"3s","reconnect_max":"3s"}`, "mia", "#r")
	_ = p
	s.stop()
	evs.NextEvent(func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT
	})
	s.start()
	newClient(t, s, "mia")
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMember().GetKind() == pb.MemberEvent_KIND_RENAMED })
	if m := ev.GetMember().Member; ev.ChatId != "#r" || m.UserId != login.LoginId || !m.IsSelf || !strings.HasPrefix(m.Nick, "mia_") {
		t.Errorf("rename event %v", ev)
	}
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil })
	if me := selfOf(ev.GetChat().Chat); me.GetUserId() != login.LoginId || !strings.HasPrefix(me.Nick, "mia_") {
		t.Errorf("chat after reconnecting %v", ev)
	}
}

// Channel operators and voice: MODE +o/-o/+v are role changes, of other
// members and of the user.
func TestRoles(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "dave")
	dave.join("#m")
	erin := newClient(t, s, "erin")
	erin.join("#m")
	_, evs, login := loggedIn(t, s, "", "nat", "#m")
	roleChange := func(userID string) *pb.Member {
		t.Helper()
		ev := evs.NextEvent(func(ev *pb.Event) bool {
			m := ev.GetMember()
			return m.GetKind() == pb.MemberEvent_KIND_ROLE_CHANGED && m.Member.UserId == userID
		})
		if ev.ChatId != "#m" || ev.Sender.GetUserId() != "dave" {
			t.Errorf("role event %v", ev)
		}
		return ev.GetMember().Member
	}
	if err := dave.conn.Send("MODE", "#m", "+ov", "erin", "nat"); err != nil {
		t.Fatal(err)
	}
	if m := roleChange("erin"); m.Role != pb.Role_ROLE_MODERATOR || m.Affiliation != pb.Affiliation_AFFILIATION_ADMIN || m.Nick != "erin" {
		t.Errorf("erin opped: %v", m)
	}
	if m := roleChange(login.LoginId); m.Role != pb.Role_ROLE_PARTICIPANT || !m.IsSelf {
		t.Errorf("nat voiced: %v", m)
	}
	if err := dave.conn.Send("MODE", "#m", "+l-o+o", "10", "erin", "nat"); err != nil {
		t.Fatal(err)
	}
	if m := roleChange("erin"); m.Role != pb.Role_ROLE_PARTICIPANT || m.Affiliation != pb.Affiliation_AFFILIATION_MEMBER {
		t.Errorf("erin deopped: %v", m)
	}
	if m := roleChange(login.LoginId); m.Role != pb.Role_ROLE_MODERATOR || !m.IsSelf {
		t.Errorf("nat opped: %v", m)
	}

	// Kicked: the chat is removed, and the channel is no longer the
	// login's (not rejoined).
	if err := dave.conn.Send("KICK", "#m", "nat", "enough"); err != nil {
		t.Fatal(err)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChatRemoved() != nil })
	if cr := ev.GetChatRemoved(); ev.ChatId != "#m" || cr.Reason != pb.ChatRemovedEvent_REASON_KICKED || cr.Text != "enough" || ev.Sender.GetUserId() != "dave" {
		t.Errorf("kick event %v", ev)
	}
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetSavedState() != nil })
	if st := string(ev.GetSavedState().SavedState); strings.Contains(st, "#m") {
		t.Errorf("saved state after the kick: %s", st)
	}
}

// Another member kicked: the gateway hears a member event KICKED of that
// member, from the operator who kicked, with the reason; the member is
// gone from the channel, and the user stays in it.
func TestKickOther(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "dave")
	dave.join("#k")
	erin := newClient(t, s, "Erin")
	erin.join("#k")
	p, evs, login := loggedIn(t, s, "", "olive", "#k")
	if err := dave.conn.Send("KICK", "#k", "Erin", "spamming"); err != nil {
		t.Fatal(err)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMember().GetKind() == pb.MemberEvent_KIND_KICKED })
	if m := ev.GetMember(); ev.ChatId != "#k" || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || m.Member.GetUserId() != "erin" ||
		m.Member.GetNick() != "Erin" || m.Member.GetIsSelf() || m.Reason != "spamming" ||
		ev.Sender.GetUserId() != "dave" || ev.Sender.GetName() != "dave" || ev.Sender.GetIsFromMe() {
		t.Errorf("kick event %v, want Erin kicked by dave for spamming", ev)
	}
	ctx, cancel := p.CallContext()
	defer cancel()
	info, err := p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: login.LoginId, ChatId: "#k"})
	if err != nil {
		t.Fatal(err)
	}
	var members []string
	for _, m := range info.Members {
		members = append(members, m.UserId)
	}
	if len(members) != 2 || slices.Contains(members, "erin") || !slices.Contains(members, login.LoginId) {
		t.Errorf("members after the kick: %v, want dave and the user", members)
	}
	// Still in the channel: dave's line comes.
	if err := dave.conn.Privmsg("#k", "behave"); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.ChatId == "#k" && ev.GetMessage().GetText() == "behave" })
}

// A channel's key changed by its operators while the user is in it is
// the login's key from then on: a restart (or reconnection) rejoins the
// channel with it. Before, the key joined with was kept: the next JOIN
// was refused (475), and the channel taken off the login's list.
func TestChannelKeyChangedWhileJoined(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "dave")
	dave.join("#k")
	if err := dave.conn.Send("MODE", "#k", "+k", "old"); err != nil {
		t.Fatal(err)
	}
	dave.await("MODE", "")
	p, evs, login := loggedIn(t, s, "", "kim", "")
	if res := p.Commands().Send(command(login.LoginId, "#k", &pb.JoinChat{Password: "old"})); res.Error != nil {
		t.Fatalf("join #k: %v", res.Error)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetSavedState() != nil })
	for _, change := range [][]string{{"-k", "old"}, {"+k", "new"}} {
		if err := dave.conn.Send("MODE", append([]string{"#k"}, change...)...); err != nil {
			t.Fatal(err)
		}
	}
	state := evs.NextEvent(func(ev *pb.Event) bool {
		return ev.GetSavedState() != nil && strings.Contains(string(ev.GetSavedState().SavedState), `"#k":"new"`)
	}).GetSavedState().SavedState

	p.Restart()
	evs = p.Events()
	p.Connect(login.LoginId, state)
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil || ev.GetChatRemoved() != nil })
	if ev.GetChat() == nil || ev.ChatId != "#k" {
		t.Errorf("after the restart: %v; want #k rejoined with its new key", ev)
	}
}

// A channel joined by a spelling of its name that folds to another ID
// ("#GO", whose ID is "#go"; where the server folds as RFC 1459 says,
// "#[go]" is "#{go}" too, but ngircd folds A-Z only): the join says
// the chat's ID, so that the gateway sends the user to its room (gone).
// Before, it said nothing, the gateway waited for a chat "#[go]" that
// never came, and the join failed though the channel was joined.
func TestJoinChatOtherSpelling(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "dave")
	dave.join("#Go")
	p, evs, login := loggedIn(t, s, "", "kim", "")
	cmds := p.Commands()
	res := cmds.Send(command(login.LoginId, "#GO", &pb.JoinChat{}))
	if res.Error != nil || res.ChatId != "#go" {
		t.Fatalf("join #GO: %v, want the chat ID #go", res)
	}
	if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil }); ev.ChatId != "#go" {
		t.Errorf("chat event %v, want #go", ev)
	}
	// By its ID: the chat is the one asked.
	if res := cmds.Send(command(login.LoginId, "#go", &pb.JoinChat{})); res.Error != nil || res.ChatId != "" {
		t.Errorf("join #go: %v, want no other ID", res)
	}
}

// The whole way, through Prosody and the gateway: a room joined as
// #[go] is answered gone, naming the channel's room #{go}, which the
// client then joins. The scripted server announces no CASEMAPPING: it
// folds as RFC 1459 says (ngircd would not: #[go] is its own channel).
func TestEndToEndJoinOtherSpelling(t *testing.T) {
	s := startScripted(t, "", "")
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: plugintest.BuildBinary(t, pluginPkg), Name: "irc"})
	alice := g.User("alice")
	g.WaitReady(alice)
	ircLogin(t, g, alice, s.port(), "#form")
	s.got("JOIN #form")
	asked := "#[go]@" + g.Domain
	ans := joinRoom(g, alice, asked, "alice")
	if ans.Type != "error" || !strings.Contains(ans.XML, "<gone") || !strings.Contains(ans.XML, "%7Bgo%7D@"+g.Domain) {
		t.Fatalf("join of %s: %s, want gone naming #{go}", asked, ans.XML)
	}
	if ans := joinRoom(g, alice, g.JID("#{go}"), "alice"); ans.Type == "error" {
		t.Fatalf("join of #{go}: %s", ans.XML)
	}
}

// A key that makes the JOIN longer than IRC's 512 bytes is the user's
// to shorten: BAD_REQUEST saying so, not UNAVAILABLE (irc-go refused
// the line, which read as the server's fault).
func TestJoinKeyTooLong(t *testing.T) {
	s := startNgircd(t)
	p, _, login := loggedIn(t, s, "", "kim", "")
	res := p.Commands().Send(command(login.LoginId, "#k", &pb.JoinChat{Password: strings.Repeat("k", 510)}))
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(res.Error.GetText(), "too long") {
		t.Fatalf("join with a 510-byte key: %v, want BAD_REQUEST, too long", res)
	}
	// A key that fits still joins.
	if res := p.Commands().Send(command(login.LoginId, "#k", &pb.JoinChat{Password: strings.Repeat("k", 20)})); res.Error != nil {
		t.Fatalf("join with a short key: %v", res.Error)
	}
}

// A nick change the server refuses for another reason than a nick in
// use is the change's error, with the server's words: Solanum's 438
// (too many changes) RATE_LIMITED, its 435 (banned in a channel) and
// InspIRCd's and UnrealIRCd's 447 (a channel with +N, no nick changes)
// NOT_ALLOWED. Before, the change waited 10 s and was UNAVAILABLE, "did
// not answer".
func TestSetNickRefusedOtherwise(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.refuseNick = map[string]string{
		"kit2": "438 kit2 :Nick change too fast. Please wait 21 seconds.",
		"kit3": "435 kit3 #a :Cannot change nickname while banned on channel",
		"kit4": "447 :Can not change nickname while on #a (+N)",
	}
	srv.mu.Unlock()
	p, _, login := scriptedLogin(t, srv, "", "kit", "#a")
	for _, tc := range []struct {
		nick, words string
		want        pb.ErrorCode
	}{
		{"kit2", "Nick change too fast", pb.ErrorCode_ERROR_CODE_RATE_LIMITED},
		{"kit3", "banned on channel", pb.ErrorCode_ERROR_CODE_NOT_ALLOWED},
		{"kit4", "(+N)", pb.ErrorCode_ERROR_CODE_NOT_ALLOWED},
	} {
		res := p.Commands().Send(command(login.LoginId, "#a", &pb.SetNick{Nick: tc.nick}))
		if res.Error.GetCode() != tc.want || !strings.Contains(res.Error.GetText(), tc.words) {
			t.Errorf("set nick %s: %v, want %v saying %q", tc.nick, res.Error, tc.want, tc.words)
		}
	}
}

// The login form's channels take a key after a space ("#locked
// sesame"), as IRC clients' /join does: the channel is joined with it at
// the first connection. Before, "#locked sesame" was one channel name
// with a space, which the server refused.
func TestLoginChannelWithKey(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "dave")
	dave.join("#locked")
	if err := dave.conn.SendRaw("MODE #locked +k sesame"); err != nil {
		t.Fatal(err)
	}
	dave.await("MODE", "")
	p, _, login := loggedIn(t, s, "", "lou", "#open, #locked sesame")
	ctx, cancel := p.CallContext()
	defer cancel()
	list, err := p.Client().ChatList(ctx, &pb.LoginRef{LoginId: login.LoginId})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range list.Chats {
		ids = append(ids, c.ChatId)
	}
	if !slices.Equal(ids, []string{"#locked", "#open"}) {
		t.Errorf("chats %q, want #locked and #open", ids)
	}
}

// A nick longer than the server's NICKLEN is refused at once, saying
// so: Solanum cuts it to its NICKLEN without a word, and the change came
// back as another nick, the SetNick waiting 10 s for its own and
// failing UNAVAILABLE.
func TestSetNickTooLong(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.isupport, srv.nickLen = "NICKLEN=9 ", 9
	srv.mu.Unlock()
	p, _, login := scriptedLogin(t, srv, "", "kit", "#a")
	res := p.Commands().Send(command(login.LoginId, "#a", &pb.SetNick{Nick: "kitthecatlong"}))
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(res.Error.GetText(), "at most 9") {
		t.Errorf("set nick kitthecatlong: %v, want BAD_REQUEST saying at most 9", res.Error)
	}
	if res := p.Commands().Send(command(login.LoginId, "#a", &pb.SetNick{Nick: "kitthecat"})); res.Error != nil {
		t.Errorf("set nick kitthecat: %v", res.Error)
	}
}

// A login's nick the server cut to its NICKLEN at registration (Solanum
// does, without a word) is said so in the connected state, not "in
// use", and not asked back. Before, the state said the nick was in use.
func TestLoginNickCut(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.isupport, srv.nickLen = "NICKLEN=9 ", 9
	srv.mu.Unlock()
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	f := srv.fields("kitthecatlong")
	f["nickserv_password"] = "s3cret"
	login := p.Login("", f)
	p.Connect(login.LoginId, login.SavedState)
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
	if msg := ev.GetLoginState().Message; !strings.Contains(msg, "as kitthecat: the server takes nicks of at most 9 characters") {
		t.Errorf("connected: %q, want the nick cut said", msg)
	}
	srv.got("PRIVMSG NickServ :IDENTIFY")
	if got := srv.sent(0, "PRIVMSG NickServ :REGAIN"); len(got) > 0 {
		t.Errorf("sent %q: a cut nick is no one's to ask back", got)
	}
}
