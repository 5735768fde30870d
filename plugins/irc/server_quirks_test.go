package irc_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ergochat/irc-go/ircmsg"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// scriptedLogin starts the plugin and logs nick in on srv with these
// channels, connected.
func scriptedLogin(t *testing.T, srv *scripted, config, nick, channels string) (*plugintest.Plugin, *plugintest.EventStream, *pb.CompleteStep) {
	t.Helper()
	var cfg []byte
	if config != "" {
		cfg = []byte(config)
	}
	f := srv.fields(nick)
	f["channels"] = channels
	return loginConnected(t, cfg, f)
}

// saslLogin starts the plugin (config: its JSON, "" for none) and logs
// in as kit to srv with SASL account kit, password s3cret; the caller
// connects it.
func saslLogin(t *testing.T, srv *scripted, config string) (*plugintest.Plugin, *plugintest.EventStream, *pb.CompleteStep) {
	t.Helper()
	var cfg []byte
	if config != "" {
		cfg = []byte(config)
	}
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", cfg)
	evs := p.Events()
	f := srv.fields("kit")
	f["sasl_user"], f["sasl_password"] = "kit", "s3cret"
	return p, evs, p.Login("", f)
}

// settledState is the first login state past connecting.
func settledState(evs *plugintest.EventStream) *pb.LoginStateEvent {
	return evs.NextEvent(func(ev *pb.Event) bool {
		s := ev.GetLoginState().GetState()
		return s != pb.LoginState_LOGIN_STATE_CONNECTING && s != pb.LoginState_LOGIN_STATE_UNKNOWN
	}).GetLoginState()
}

// A CTCP ACTION whose closing \x01 is left out (the CTCP spec lets
// clients omit it, and some do) is a /me all the same, privately and in
// a channel. Before, irc-go took it for an unknown CTCP and the line was
// lost.
func TestActionWithoutClosingCTCP(t *testing.T) {
	srv := startScripted(t, "", "")
	_, evs, _ := scriptedLogin(t, srv, "", "kit", "#c")
	srv.send(":bob!b@h PRIVMSG kit :\x01ACTION waves")
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != "/me waves" || ev.ChatId != "bob" {
		t.Errorf("private action without its closing \\x01: %v", ev)
	}
	srv.send(":bob!b@h PRIVMSG #c :\x01ACTION nods")
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != "/me nods" || ev.ChatId != "#c" {
		t.Errorf("channel action without its closing \\x01: %v", ev)
	}
	// Other CTCPs (FINGER, a DCC RESUME) are still no message; a DCC
	// offer is said in words (TestDCCOfferSaid).
	srv.send(":bob!b@h PRIVMSG kit :\x01FINGER")
	srv.send(":bob!b@h PRIVMSG kit :\x01DCC RESUME f 1 2")
	srv.send(":bob!b@h PRIVMSG kit :marker")
	if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil }); ev.GetMessage().Text != "marker" {
		t.Errorf("after other CTCPs, message %v; want the marker", ev)
	}
}

// A carriage return alone in a message (an XMPP client may send it as
// &#13;, which XML keeps) is a line break too: IRC forbids it in a
// line; so is a NUL, which is dropped. Before, irc-go refused the line and the send failed as
// UNAVAILABLE, after the lines before it went out.
func TestCarriageReturnIsALineBreak(t *testing.T) {
	srv := startScripted(t, "", "")
	p, _, login := scriptedLogin(t, srv, "", "kit", "")
	res := p.Commands().Send(plugintest.SendText(login.LoginId, "bob", "txn-1", "one\rtw\x00o\r\n\rthree"))
	if res.Error != nil {
		t.Fatalf("send: %v", res.Error)
	}
	srv.got("PRIVMSG bob three")
	if got := strings.Join(srv.sent(0, "PRIVMSG"), "|"); got != "PRIVMSG bob one|PRIVMSG bob two|PRIVMSG bob three" {
		t.Errorf("sent %q", got)
	}
}

// The user parting a channel elsewhere (another client on their bouncer,
// or an operator's forced part, Solanum's REMOVE) takes the room away
// (ChatRemoved, left) and the channel off the login's list: it is not
// joined again at the next connection. Before, the room stayed, sends
// to it failed with "you are not in", and the next reconnection joined
// the channel again.
func TestSelfPartedElsewhere(t *testing.T) {
	srv := startScripted(t, "", "")
	_, evs, login := scriptedLogin(t, srv, `{"reconnect_min":"100ms","reconnect_max":"200ms"}`, "kit", "#c,#d")
	srv.send(":kit!u@h PART #c :from my phone")
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChatRemoved() != nil || ev.GetSavedState() != nil })
	if r := ev.GetChatRemoved(); r == nil || ev.ChatId != "#c" || r.Reason != pb.ChatRemovedEvent_REASON_LEFT {
		t.Fatalf("after the user's part elsewhere: %v; want the room removed, left", ev)
	}
	st := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetSavedState() != nil })
	if s := string(st.GetSavedState().SavedState); strings.Contains(s, "#c") || !strings.Contains(s, "#d") {
		t.Errorf("saved state %s; want #d alone", s)
	}
	// A reconnection joins #d alone.
	srv.mu.Lock()
	before := len(srv.lines)
	srv.mu.Unlock()
	srv.hangUp()
	evs.NextEvent(func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED && ev.LoginId == login.LoginId
	})
	if got := strings.Join(srv.sent(before, "JOIN"), "|"); got != "JOIN #d" {
		t.Errorf("joined after reconnecting: %q, want #d alone", got)
	}
}

// A nick the server says is in use at registration is replaced by one
// the server takes: on a server whose nicks are at most 9 long (ngircd's
// default), irc-go's nick_0 for a 9-letter nick is too long (432), and
// the registration stalled until irc-go's 30 s timeout, then again at
// each attempt while the nick was taken (the user's own ghost after a
// dropped connection, typically).
func TestNickInUseAtNickLen(t *testing.T) {
	s := startNgircdNickLen(t, 9)
	newClient(t, s, "abcdefghi")
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	login := p.Login("", loginFields(s, "abcdefghi", "#n"))
	start := time.Now()
	p.Connect(login.LoginId, login.SavedState)
	var chat *pb.Chat // comes before the login is connected
	st := evs.NextEvent(func(ev *pb.Event) bool {
		if c := ev.GetChat().GetChat(); c != nil {
			chat = c
		}
		s := ev.GetLoginState().GetState()
		return s == pb.LoginState_LOGIN_STATE_CONNECTED || s == pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT
	}).GetLoginState()
	if st.State != pb.LoginState_LOGIN_STATE_CONNECTED || time.Since(start) > 20*time.Second {
		t.Fatalf("login state %v after %v; want connected at once under another nick", st, time.Since(start))
	}
	if !strings.Contains(st.Message, "abcdefghi is in use") {
		t.Errorf("connected message %q, want it to say the nick is in use", st.Message)
	}
	if me := selfOf(chat); me == nil || len(me.Nick) > 9 || me.Nick == "abcdefghi" {
		t.Errorf("the user in the channel: %v", me)
	}
}

// A long message goes in lines that the server relays whole: at most
// 512 bytes as ":nick!user@host PRIVMSG target :text\r\n", with the
// user name irc-go gave (the login's nick when it connected, even after
// a nick change) and the "~" servers put before it without ident, and
// a host of up to 63 bytes. Lines are cut at a space where there is one,
// not in the middle of a word. Before, the budget took the user name for
// as long as the current nick, without the "~": lines of a renamed user
// ran past 512 bytes and the server cut their ends, and words were cut
// in two.
func TestLongMessageLines(t *testing.T) {
	srv := startScripted(t, "", "")
	p, _, login := scriptedLogin(t, srv, "", "kitkatkitkat", "")
	cmds := p.Commands()
	if res := cmds.Send(command(login.LoginId, "", &pb.SetNick{Nick: "kit"})); res.Error != nil {
		t.Fatalf("nick change: %v", res.Error)
	}
	var words []string
	for i := 0; len(strings.Join(words, " ")) < 3000; i++ {
		words = append(words, fmt.Sprintf("word%d", i), "é€𝄞")
	}
	text := strings.Join(words, " ")
	if res := cmds.Send(plugintest.SendText(login.LoginId, "bob", "txn-1", text)); res.Error != nil {
		t.Fatalf("send: %v", res.Error)
	}
	var parts []string
	srv.wait("the whole text", func() bool {
		parts = nil
		for _, l := range srv.lines {
			if m, err := ircmsg.ParseLine(l); err == nil && m.Command == "PRIVMSG" && m.Params[0] == "bob" {
				parts = append(parts, m.Params[1])
			}
		}
		return len(strings.Join(parts, "")) >= len(text)
	})
	host := strings.Repeat("h", 63)
	for i, part := range parts {
		relayed := ":kit!~kitkatkitkat@" + host + " PRIVMSG bob :" + part + "\r\n"
		if len(relayed) > 512 {
			t.Errorf("line %d relayed in %d bytes: %q", i, len(relayed), part)
		}
		if i > 0 && !strings.HasSuffix(parts[i-1], " ") && !strings.HasPrefix(part, " ") {
			t.Errorf("a word cut between lines %d and %d: %q | %q", i-1, i, parts[i-1][max(0, len(parts[i-1])-10):], part[:min(10, len(part))])
		}
	}
	if strings.Join(parts, "") != text {
		t.Errorf("the lines do not make the text")
	}
}

// Lines a hostile or broken server may send (commands and numerics
// without their parameters, unknown numerics, bad UTF-8, lines far over
// 512 bytes, CTCPs cut short) change nothing: no callback panics (irc-go
// would catch it, and skip the line's other callbacks), the connection
// stays, and the next message is shown. A TOPIC of a channel the user is
// not in is no topic event: before, one naming no channel at all (TOPIC
// kit) was the topic of a group "kit".
func TestHostileServerLines(t *testing.T) {
	srv := startScripted(t, "message-tags server-time echo-message", "")
	p, evs, _ := scriptedLogin(t, srv, "", "kit", "#c")
	for _, cmd := range []string{"PRIVMSG", "NOTICE", "JOIN", "PART", "KICK", "QUIT", "NICK", "TOPIC", "MODE", "TAGMSG",
		"CHGHOST", "INVITE", "ERROR", "BATCH", "FAIL", "CAP", "AUTHENTICATE", "PING", "PONG", "CHATHISTORY",
		"001", "005", "221", "301", "302", "311", "322", "323", "324", "329", "331", "332", "333", "341", "352", "353", "366",
		"367", "368", "396", "401", "403", "404", "405", "421", "432", "433", "436", "437", "441", "442", "443", "461",
		"471", "473", "474", "475", "477", "478", "481", "482", "484", "485", "900", "901", "902", "903", "904", "905",
		"906", "907", "908", "999"} {
		srv.send(":bob!b@h %s", cmd)
		srv.send(":srv %s", cmd)
		srv.send(":srv %s kit", cmd)
		srv.send(":bob!b@h %s #c", cmd)
		srv.send(":srv %s kit #c", cmd)
		srv.send("@time=garbage;msgid= :bob!b@h %s :", cmd)
	}
	srv.send(":bob!b@h PRIVMSG #c :\x01")
	srv.send(":bob!b@h PRIVMSG #c :\x01\x01")
	srv.send(":bob!b@h PRIVMSG kit :\x01PING")
	srv.send(":bob!b@h PRIVMSG #c :caf\xe9 \xff\xfe")
	srv.send(":bob!b@h PRIVMSG #c :%s", strings.Repeat("x", 8000))
	srv.send("@%s :bob!b@h PRIVMSG #c :tags", strings.Repeat("a", 8000))
	srv.send(":\xff!b@h PRIVMSG kit :from a nick that is no UTF-8")
	srv.send(":bob!b@h PRIVMSG #c :marker")
	evs.NextEvent(func(ev *pb.Event) bool {
		if ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED {
			t.Errorf("reconnected: %v", ev)
		}
		if ev.GetTopic() != nil && ev.ChatId != "#c" {
			t.Errorf("a topic of a chat the user is in no channel of: %v", ev)
		}
		return ev.GetMessage().GetText() == "marker"
	})
	if out := p.Stderr(); strings.Contains(out, "panic") {
		t.Errorf("the plugin panicked:\n%s", out)
	}
}

// CTCP queries (VERSION, PING, TIME, CLIENTINFO) are answered, but at
// a bounded pace: a flood of them (from a channel's members, or one
// nick) would otherwise make the user's connection flood the server with
// answers, and servers disconnect a client that floods ("Excess Flood").
// Before, irc-go answered each one at once.
func TestCTCPFloodAnsweredAtAPace(t *testing.T) {
	srv := startScripted(t, "", "")
	_, evs, _ := scriptedLogin(t, srv, "", "kit", "#c")
	srv.send(":bob!b@h PRIVMSG kit :\x01PING 12345\x01")
	srv.got("NOTICE bob :\x01PING 12345\x01")
	for i := 0; i < 40; i++ {
		srv.send(":n%d!b@h PRIVMSG #c :\x01VERSION\x01", i)
	}
	srv.send(":bob!b@h PRIVMSG #c :marker")
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage().GetText() == "marker" })
	srv.sync() // every answer sent came before the PONG
	answers := srv.sent(0, "NOTICE ")
	if n := len(answers); n > 5 {
		t.Errorf("%d CTCP answers sent at once; want a few", n)
	}
	if n := len(srv.sent(0, "NOTICE n")); n == 0 {
		t.Errorf("no VERSION of the flood answered; want the first few: %q", answers)
	}
}

// A message of many lines (a paste) goes at the pace servers take: 5
// lines at once, then one a second. Servers disconnect a client that
// sends more at once (Solanum's "Excess Flood" past about 20 lines
// queued). Before, every line went at once.
func TestPastePaced(t *testing.T) {
	srv := startScripted(t, "", "")
	p, _, login := scriptedLogin(t, srv, "", "kit", "")
	var lines []string
	for i := 0; i < 9; i++ {
		lines = append(lines, fmt.Sprintf("line %d", i))
	}
	start := time.Now()
	if res := p.Commands().Send(plugintest.SendText(login.LoginId, "bob", "txn-1", strings.Join(lines, "\n"))); res.Error != nil {
		t.Fatalf("send: %v", res.Error)
	}
	srv.got("PRIVMSG bob :line 8")
	took := time.Since(start)
	srv.mu.Lock()
	var at []time.Time
	for i, l := range srv.lines {
		if strings.HasPrefix(l, "PRIVMSG bob") {
			at = append(at, srv.times[i])
		}
	}
	srv.mu.Unlock()
	if len(at) != 9 {
		t.Fatalf("%d lines came", len(at))
	}
	// On a schedule from the paste's start: a line the server read
	// late makes no gap after it look short. Lower bounds only (a
	// loaded machine makes lines late, never early): the burst's size
	// is the pacer's admission, TestPasteTooLongForThePace (125 lines
	// in 2 minutes: 5 at once, then 120).
	for i := 5; i < 9; i++ {
		if d, due := at[i].Sub(start), time.Duration(i-4)*time.Second; d < due-20*time.Millisecond {
			t.Errorf("line %d came %v after the paste was sent; want no sooner than %v at one a second", i, d, due)
		}
	}
	t.Logf("9 lines sent in %v", took)
}

// A channel of the login the server refuses at a reconnection (the user
// was banned, the channel made invite-only or given another key while
// the login was away) takes its room away, with the server's words: a
// ban or another lasting refusal takes it off the login's list too, a
// full channel stays on it, to be tried at the next connection. Before,
// the refusal was only logged: the room stayed, with sends to it failing
// ("you are not in"), and leaving it failed the same way.
func TestRejoinRefused(t *testing.T) {
	srv := startScripted(t, "", "")
	_, evs, login := scriptedLogin(t, srv, `{"reconnect_min":"100ms","reconnect_max":"200ms"}`, "kit", "#ok,#banned,#full")
	srv.mu.Lock()
	srv.refuseJoin = map[string]string{"#banned": "474 :Cannot join channel (+b)", "#full": "471 :Cannot join channel (+l)"}
	srv.mu.Unlock()
	srv.hangUp()
	removed := map[string]*pb.ChatRemovedEvent{}
	var saved string
	evs.NextEvent(func(ev *pb.Event) bool {
		if r := ev.GetChatRemoved(); r != nil {
			removed[ev.ChatId] = r
		}
		if st := ev.GetSavedState(); st != nil {
			saved = string(st.SavedState)
		}
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED && ev.LoginId == login.LoginId
	})
	if r := removed["#banned"]; r == nil || r.Reason != pb.ChatRemovedEvent_REASON_BANNED || !strings.Contains(r.Text, "Cannot join channel (+b)") {
		t.Errorf("#banned: %v, want its room removed as banned, with the server's words", r)
	}
	if r := removed["#full"]; r == nil || r.Reason != pb.ChatRemovedEvent_REASON_LEFT || !strings.Contains(r.Text, "full") {
		t.Errorf("#full: %v, want its room removed, saying the channel is full", r)
	}
	if r := removed["#ok"]; r != nil {
		t.Errorf("#ok removed: %v", r)
	}
	if strings.Contains(saved, "#banned") || !strings.Contains(saved, "#full") || !strings.Contains(saved, "#ok") {
		t.Errorf("saved state %q; want #ok and #full", saved)
	}
}

// A server whose SASL takes no PLAIN (its 908 lists the mechanisms it
// takes, before its 904) is not a wrong password: the login's state says
// the server does not take SASL PLAIN, and which it takes, with the
// server's words. Before, it told the user to log in again with the
// right password (and later left out the 904's words).
func TestSASLWithoutPlain(t *testing.T) {
	srv := startScripted(t, "sasl=EXTERNAL,SCRAM-SHA-256", "kit\x00s3cret")
	srv.mu.Lock()
	srv.saslMechs, srv.saslFail = "EXTERNAL,SCRAM-SHA-256", "Mechanism PLAIN is disabled on this network"
	srv.mu.Unlock()
	p, evs, login := saslLogin(t, srv, "")
	p.Connect(login.LoginId, login.SavedState)
	st := settledState(evs)
	if st.State != pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS || !strings.Contains(st.Message, "PLAIN") ||
		!strings.Contains(st.Message, "EXTERNAL,SCRAM-SHA-256") || strings.Contains(st.Message, "right password") ||
		!strings.Contains(st.Message, "Mechanism PLAIN is disabled on this network") {
		t.Errorf("login state %v; want bad credentials saying the server takes no SASL PLAIN", st)
	}
}

// A nick the server takes for no nick at all (432: too long for it, or
// a character it refuses) at registration is bad credentials at once,
// with the server's words: trying again would meet the same refusal, and
// the user must log in with another nick. Before, each attempt waited
// for irc-go's 30 s timeout, and the login tried again forever.
func TestNickRefusedAtRegistration(t *testing.T) {
	s := startNgircdNickLen(t, 9)
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	login := p.Login("", loginFields(s, "abcdefghij", ""))
	start := time.Now()
	p.Connect(login.LoginId, login.SavedState)
	st := settledState(evs)
	if st.State != pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS || !strings.Contains(st.Message, "abcdefghij") ||
		!strings.Contains(st.Message, "too long") || time.Since(start) > 20*time.Second {
		t.Errorf("login state %v after %v; want bad credentials at once, with the server's words", st, time.Since(start))
	}
	waitLog(t, p, "irc: no more connection attempts")
}

// A login in many channels joins them in few lines (JOIN #a,#b,... key
// lists after, as IRC clients do), each within 512 bytes: one JOIN line
// a channel, all at once, is a flood servers disconnect (Solanum past
// about 20 lines). Before, each channel had its own JOIN.
func TestManyChannelsJoinedInFewLines(t *testing.T) {
	srv := startScripted(t, "", "")
	var chans []string
	for i := 0; i < 60; i++ {
		chans = append(chans, fmt.Sprintf("#channel-with-a-long-name-%02d", i))
	}
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	f := srv.fields("kit")
	f["channels"] = strings.Join(chans, ",")
	login := p.Login("", f)
	p.Connect(login.LoginId, editState(t, login.SavedState, func(acc map[string]any) {
		acc["keys"] = map[string]string{"#channel-with-a-long-name-07": "sesame", "#channel-with-a-long-name-42": "open"}
	}))
	joined := map[string]bool{}
	evs.NextEvent(func(ev *pb.Event) bool {
		if ev.GetChat() != nil {
			joined[ev.ChatId] = true
		}
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	if len(joined) != len(chans) {
		t.Errorf("%d channels joined, want %d", len(joined), len(chans))
	}
	joins := srv.sent(0, "JOIN ")
	if len(joins) > 5 {
		t.Errorf("%d JOIN lines for %d channels", len(joins), len(chans))
	}
	keyed := 0
	for _, l := range joins {
		if len(l)+2 > 512 {
			t.Errorf("a JOIN line of %d bytes", len(l)+2)
		}
		m, err := ircmsg.ParseLine(l)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Params) > 1 {
			names, keys := strings.Split(m.Params[0], ","), strings.Split(m.Params[1], ",")
			for i, k := range keys {
				want := map[string]string{"#channel-with-a-long-name-07": "sesame", "#channel-with-a-long-name-42": "open"}[names[i]]
				if k != want {
					t.Errorf("%s joined with the key %q, want %q", names[i], k, want)
				}
				keyed++
			}
		}
	}
	if keyed != 2 {
		t.Errorf("%d channels joined with a key, want 2: %q", keyed, joins)
	}
}

// A connection the server ends with an ERROR (a KILL, a netsplit's
// "Closing Link", a ping timeout) says why in the login's state while it
// reconnects: the state that stays shown (the gateway's presence status)
// carries the server's words. Before, the ERROR's state was at once
// replaced by a plain "disconnected; reconnecting".
func TestDisconnectSaysWhy(t *testing.T) {
	srv := startScripted(t, "", "")
	_, evs, login := scriptedLogin(t, srv, `{"reconnect_min":"1s","reconnect_max":"1s"}`, "kit", "#c")
	srv.send(":op!o@h KILL kit :Killed (op (spamming))")
	srv.send("ERROR :Closing Link: kit (Killed (op (spamming)))")
	srv.hangUp()
	var last *pb.LoginStateEvent
	evs.NextEvent(func(ev *pb.Event) bool {
		st := ev.GetLoginState()
		if st.GetState() == pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT {
			last = st
		}
		return st.GetState() == pb.LoginState_LOGIN_STATE_CONNECTED && ev.LoginId == login.LoginId
	})
	if last == nil || !strings.Contains(last.Message, "Killed (op (spamming))") {
		t.Errorf("the last state before reconnecting: %v; want the server's words", last)
	}
}

// A message to a channel's operators (STATUSMSG: "PRIVMSG @#c", which
// the server relays to the user as an operator) is shown in the channel,
// marked as to its operators. Before, its target was taken for a nick:
// it came as a private message from its sender, and a reply there went
// to them alone.
func TestStatusMessage(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.isupport = "STATUSMSG=@+"
	srv.mu.Unlock()
	_, evs, _ := scriptedLogin(t, srv, "", "kit", "#c")
	srv.send(":bob!b@h PRIVMSG @#c :\x02ops\x02 only")
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	m := ev.GetMessage()
	if ev.ChatId != "#c" || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || m.Text != "(to @#c) ops only" || ev.Sender.GetUserId() != "bob" {
		t.Errorf("message to the operators: %v", ev)
	}
	if len(m.Spans) != 1 || m.Text[m.Spans[0].Start:m.Spans[0].End] != "ops" {
		t.Errorf("its bold: %v", m.Spans)
	}
}

// nickServLogin connects kit, whose NickServ password is s3cret, on a
// scripted server whose NickServ says nothing and which refuses #reg,
// kit's channel, for registered nicks only; it returns once #reg was
// refused, with the plugin's events and the connect's outcome to come.
func nickServLogin(t *testing.T) (*scripted, *plugintest.EventStream, <-chan error) {
	t.Helper()
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.nickserv, srv.nickservSilent = "s3cret", true
	srv.refuseJoin = map[string]string{"#reg": "477 :Cannot join channel (+r) - you need to be identified"}
	srv.mu.Unlock()
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", []byte(`{"identify_wait":"10m"}`))
	evs := p.Events()
	f := srv.fields("kit")
	f["nickserv_password"], f["channels"] = "s3cret", "#reg"
	connected := connectAsync(p, p.Login("", f))
	srv.wait("the refusal of #reg", func() bool { return srv.refused == 1 })
	return srv, evs, connected
}

// wantRegJoined checks that #reg is joined (its room comes) before the
// login is connected or the room removed, and that the connect ended
// well; when says at what point.
func wantRegJoined(t *testing.T, evs *plugintest.EventStream, connected <-chan error, when string) {
	t.Helper()
	ev := evs.NextEvent(func(ev *pb.Event) bool {
		return ev.GetChat() != nil || ev.GetChatRemoved() != nil || ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	if ev.GetChat() == nil || ev.ChatId != "#reg" {
		t.Errorf("%s: %v; want #reg joined, then the login connected", when, ev)
	}
	if err := <-connected; err != nil {
		t.Errorf("connect: %v", err)
	}
}

// A login that identifies with NickServ (no SASL) joins its channels
// right after its IDENTIFY, before services answered: a channel for
// registered nicks only (477) waits for NickServ's answer, then is
// joined again, not given up; the login is connected once it is.
func TestRegisteredOnlyChannelAfterNickServ(t *testing.T) {
	srv, evs, connected := nickServLogin(t)
	srv.mu.Lock()
	srv.refuseJoin = nil // services identified the nick
	srv.mu.Unlock()
	srv.send(":NickServ!NickServ@services. NOTICE kit :You are now identified for \x02kit\x02.")
	wantRegJoined(t, evs, connected, "after the first refusal")
}

// NickServ's "identified" can come before the server sets the nick's
// mode (ngircd's services send both, and the server applies the mode a
// moment later): a join refused for registered nicks in between waits
// for the mode, and is joined then, not given up. Before, the refusal
// after NickServ's words stood and the room was removed (the flake of
// TestRegisteredOnlyChannelOnNgircdWithNickServ under load).
func TestRegisteredOnlyChannelModeAfterWords(t *testing.T) {
	srv, evs, connected := nickServLogin(t)
	srv.send(":NickServ!NickServ@services. NOTICE kit :You are now identified for \x02kit\x02.")
	srv.wait("the join again, refused before the mode", func() bool { return srv.refused == 2 })
	srv.mu.Lock()
	srv.refuseJoin = nil
	srv.mu.Unlock()
	srv.send(":irc.test MODE kit :+r")
	wantRegJoined(t, evs, connected, "after NickServ's words, then the mode")
}

// A subject of several lines set from XMPP becomes the channel's topic
// on one line (IRC's topics have no line breaks). Before, irc-go refused
// the line, and the change failed as UNAVAILABLE.
func TestTopicOfSeveralLines(t *testing.T) {
	srv := startScripted(t, "", "")
	p, _, login := scriptedLogin(t, srv, "", "kit", "#c")
	res := p.Commands().Send(command(login.LoginId, "#c", &pb.SetTopic{Topic: "first line\r\nsecond\rthird\nfourth\x00"}))
	if res.Error != nil {
		t.Fatalf("set topic: %v", res.Error)
	}
	srv.got("TOPIC #c :first line second third fourth")
}

// An invitation of the user to a channel (INVITE) is a message from the
// inviter in their private chat, naming the channel, and the channel's
// invitation (InvitedEvent), which the user accepts by joining its room;
// one to a channel the user is in is the message alone. Before, it was
// dropped: nothing told the user; then it was the message alone.
func TestInvitationShown(t *testing.T) {
	srv := startScripted(t, "", "")
	_, evs, _ := scriptedLogin(t, srv, "", "kit", "#in")
	srv.send(":bob!b@h INVITE kit :#secret")
	srv.send(":bob!b@h INVITE someone-else #other") // invite-notify: not the user's
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != "bob" || ev.Sender.GetUserId() != "bob" || ev.GetMessage().Text != "/me invites you to #secret" {
		t.Errorf("invitation: %v", ev)
	}
	if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetInvited() != nil }); ev.ChatId != "#secret" {
		t.Errorf("the room's invitation: %v", ev)
	}
	// An invitation to a channel the user is in (a server that relays
	// it) is the /me alone: no room to join.
	srv.send(":bob!b@h INVITE kit #in")
	srv.send(":bob!b@h PRIVMSG kit :marker")
	if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil || ev.GetInvited() != nil }); ev.GetMessage().GetText() != "/me invites you to #in" {
		t.Errorf("the invitation to #in: %v", ev)
	}
	if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil || ev.GetInvited() != nil }); ev.GetMessage().GetText() != "marker" {
		t.Errorf("after the invitations to #in and of someone else: %v", ev)
	}
}

// A server that offers SASL but never answers the account (its services
// are down: a netsplit, a restart) is no refusal of the account: the
// first connection is tried again, and connects once services answer.
// Before, irc-go's "SASL setup timed out" was taken for a server without
// SASL: bad credentials, and the login stopped for good.
func TestSASLServicesDown(t *testing.T) {
	srv := startScripted(t, "sasl", "kit\x00s3cret")
	srv.mu.Lock()
	srv.saslSilent = true
	srv.mu.Unlock()
	p, evs, login := saslLogin(t, srv, `{"reconnect_min":"200ms","reconnect_max":"400ms"}`)
	p.Connect(login.LoginId, login.SavedState)
	st := settledState(evs)
	if st.State != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT {
		t.Fatalf("login state %v; want a transient disconnect, tried again", st)
	}
	srv.mu.Lock()
	srv.saslSilent = false
	srv.mu.Unlock()
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
}

// A server that aborts the SASL login (906, Solanum's answer while its
// SASL service is gone) has not refused the account: the login's state
// says so with the server's words, and the login is tried again until
// services are back. Before, irc-go, which does not read 906, waited
// 15 s more, and the state said services did not answer, without the
// server's words.
func TestSASLAborted(t *testing.T) {
	srv := startScripted(t, "sasl", "kit\x00s3cret")
	srv.mu.Lock()
	srv.saslAbort = "SASL service is not available right now"
	srv.mu.Unlock()
	p, evs, login := saslLogin(t, srv, `{"reconnect_min":"200ms","reconnect_max":"400ms"}`)
	p.Connect(login.LoginId, login.SavedState)
	st := settledState(evs)
	if st.State != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT || !strings.Contains(st.Message, "SASL service is not available right now") {
		t.Fatalf("login state %v; want a transient disconnect with the server's words", st)
	}
	srv.mu.Lock()
	srv.saslAbort = ""
	srv.mu.Unlock()
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
}

// A server that took the login's SASL account before, and offers no SASL
// at a later first connection (a gateway restart while its services are
// down: Solanum offers SASL only while its SASL service is there), is
// tried again until it offers it, not taken for a server without SASL.
// Before, the login was bad credentials, and stopped until the user
// logged in again.
func TestSASLHiddenWhileServicesDown(t *testing.T) {
	srv := startScripted(t, "sasl", "kit\x00s3cret")
	p, evs, login := saslLogin(t, srv, `{"reconnect_min":"200ms","reconnect_max":"400ms"}`)
	p.Connect(login.LoginId, login.SavedState)
	state := login.SavedState
	evs.NextEvent(func(ev *pb.Event) bool {
		if st := ev.GetSavedState(); st != nil {
			state = st.SavedState
		}
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	ctx, cancel := p.CallContext()
	defer cancel()
	if _, err := p.Client().Disconnect(ctx, &pb.LoginRef{LoginId: login.LoginId}); err != nil {
		t.Fatal(err)
	}

	srv.mu.Lock()
	srv.caps = "" // services are down: no SASL offered
	srv.mu.Unlock()
	p.Connect(login.LoginId, state)
	st := settledState(evs)
	if st.State != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT || !strings.Contains(st.Message, "services may be down") {
		t.Fatalf("login state %v; want a transient disconnect, tried again", st)
	}
	srv.mu.Lock()
	srv.caps = "sasl"
	srv.mu.Unlock()
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
}

// A message to a channel of the login while its JOIN is under way after
// a reconnection is UNAVAILABLE (send again in a moment), not
// NOT_FOUND: the room is not gone. Before, it was "you are not in #c".
func TestSendWhileRejoining(t *testing.T) {
	srv := startScripted(t, "", "")
	p, _, login := scriptedLogin(t, srv, `{"reconnect_min":"50ms","reconnect_max":"100ms"}`, "kit", "#c")
	srv.mu.Lock()
	srv.silentJoin = map[string]bool{"#c": true}
	srv.mu.Unlock()
	srv.hangUp()
	srv.wait("the JOIN after the reconnection", func() bool {
		n := 0
		for _, l := range srv.lines {
			if l == "JOIN #c" {
				n++
			}
		}
		return n == 2
	})
	res := p.Commands().Send(plugintest.SendText(login.LoginId, "#c", "", "still here?"))
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Errorf("send while rejoining: %v; want UNAVAILABLE", res.Error)
	}
}

// A channel left from XMPP while its JOIN is under way after a
// reconnection is left: it comes off the login's list, a PART follows
// the JOIN, and the next connection does not join it. Before, the
// leave was NOT_FOUND ("you are not in #room") and the room came back
// once the JOIN went through.
func TestLeaveWhileRejoining(t *testing.T) {
	srv := startScripted(t, "", "")
	p, evs, login := scriptedLogin(t, srv, `{"reconnect_min":"10ms","reconnect_max":"20ms"}`, "kit", "#room,#other")
	srv.mu.Lock()
	srv.silentJoin = map[string]bool{"#room": true} // a lagging server
	srv.mu.Unlock()
	srv.hangUp()
	srv.wait("the reconnection's JOIN", func() bool { return count(srv.lines, "JOIN #room,#other") == 2 })
	if res := p.Commands().Send(plugintest.Act(login.LoginId, "#room", "", &pb.LeaveChat{})); res.Error != nil {
		t.Fatalf("leave of #room while it is joined again: %v", res.Error)
	}
	srv.got("PART #room")
	var saved string
	evs.NextEvent(func(ev *pb.Event) bool {
		if st := ev.GetSavedState(); st != nil {
			saved = string(st.SavedState)
		}
		return !strings.Contains(saved, "#room") && strings.Contains(saved, "#other")
	})
	srv.mu.Lock()
	from := len(srv.lines)
	srv.mu.Unlock()
	srv.hangUp()
	srv.wait("the next reconnection's JOIN", func() bool { return count(srv.lines[from:], "JOIN #other") == 1 })
}

// A message sent while a reconnection registers (before the server's
// welcome) is UNAVAILABLE, "send again in a moment": the server would
// refuse its line (451, not registered), and the channel is not joined
// yet. Before, a message to a channel was NOT_FOUND ("you are not in
// #room"), and one to a nick went into the registration and was taken
// as sent, lost without a word.
func TestSendWhileRegistering(t *testing.T) {
	srv := startScripted(t, "", "")
	p, evs, login := scriptedLogin(t, srv, `{"reconnect_min":"10ms","reconnect_max":"20ms"}`, "kit", "#room")
	srv.mu.Lock()
	srv.holdAt = "USER kit" // a slow registration (an ident lookup)
	srv.mu.Unlock()
	srv.hangUp()
	srv.wait("the reconnection's USER", func() bool { return count(srv.lines, "USER kit s e kit") == 2 })
	cmds := p.Commands()
	for _, chat := range []string{"#room", "dave"} {
		wantError(t, "a message to "+chat+" before the server's welcome", cmds.Send(plugintest.SendText(login.LoginId, chat, "", "hi")).Error,
			pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "send again in a moment")
	}
	srv.release()
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
	if res := cmds.Send(plugintest.SendText(login.LoginId, "#room", "", "hi")); res.Error != nil {
		t.Errorf("a message once connected again: %v", res.Error)
	}
}

// A notice to the user that starts with a channel of theirs in brackets
// (ChanServ's entry message, "[#c] Welcome") is shown in that channel,
// from its sender, as biboumi, WeeChat and irssi show it; one naming a
// channel the user is not in stays in the sender's private chat.
// Before, ChanServ's entry message of every channel came in its private
// chat, away from the channel it is about.
func TestChannelNoticeInItsChannel(t *testing.T) {
	srv := startScripted(t, "", "")
	_, evs, _ := scriptedLogin(t, srv, "", "kit", "#c")
	srv.send(":ChanServ!cs@services NOTICE kit :[#C] Welcome to #C, read the rules")
	srv.send(":ChanServ!cs@services NOTICE kit :[#elsewhere] Welcome")
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != "#c" || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || ev.Sender.GetUserId() != "chanserv" ||
		ev.GetMessage().Text != "[#C] Welcome to #C, read the rules" {
		t.Errorf("ChanServ's entry message: %v, want it in #c", ev)
	}
	if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil }); ev.ChatId != "chanserv" || ev.GetMessage().Text != "[#elsewhere] Welcome" {
		t.Errorf("a notice naming a channel the user is not in: %v, want it in ChanServ's chat", ev)
	}
}

// A leave whose reason would make the PART longer than IRC's 512 bytes
// parts all the same, the reason cut to fit, as a kick's reason is
// (fitLine). Before, irc-go refused the line: the leave failed and the
// user stayed in the channel for having said too much.
func TestLeaveLongReason(t *testing.T) {
	srv := startScripted(t, "", "")
	p, _, login := scriptedLogin(t, srv, "", "kit", "#room")
	srv.got("JOIN #room")
	// Answered after the server's JOIN: the channel is joined by then.
	if res := p.Commands().Send(plugintest.SendText(login.LoginId, "#room", "", "hi")); res.Error != nil {
		t.Fatalf("message to #room: %v", res.Error)
	}
	reason := strings.Repeat("bye ", 200)
	if res := p.Commands().Send(plugintest.Act(login.LoginId, "#room", "", &pb.LeaveChat{Reason: reason})); res.Error != nil {
		t.Fatalf("leave with a reason of %d bytes: %v", len(reason), res.Error)
	}
	part := srv.got("PART #room")
	if len(part)+2 > 512 || !strings.HasPrefix(part, "PART #room :bye bye") {
		t.Errorf("PART line of %d bytes: %q; want the reason cut to fit 512", len(part)+2, part)
	}
}
