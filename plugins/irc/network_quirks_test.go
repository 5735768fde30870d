package irc_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// What real networks do that ngircd does not, against the scripted
// server.

// Each of RFC 2812's refusals of a JOIN, as real servers word them, is
// the join's error of its kind, with the server's words.
func TestJoinRefusalNumerics(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.refuseJoin = map[string]string{
		"#full":   "471 :Cannot join channel (+l) - channel is full, try again later",
		"#invite": "473 :Cannot join channel (+i) - you must be invited",
		"#banned": "474 :Cannot join channel (+b) - you are banned",
		"#key":    "475 :Cannot join channel (+k) - bad key",
		"#reg":    "477 :Cannot join channel (+r) - you need to be logged into your NickServ account",
		"#many":   "405 :You have joined too many channels",
		"#split":  "437 :Nick/channel is temporarily unavailable",
	}
	srv.mu.Unlock()
	p, _, login := scriptedLogin(t, srv, "", "kit", "")
	for _, tc := range []struct {
		chat string
		want pb.ErrorCode
		says string
	}{
		{"#full", pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "full"},
		{"#invite", pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "invite-only"},
		{"#banned", pb.ErrorCode_ERROR_CODE_BANNED, "banned"},
		{"#key", pb.ErrorCode_ERROR_CODE_UNAUTHORIZED, "key"},
		{"#reg", pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "registered"},
		{"#many", pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "as many channels"},
		{"#split", pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "temporarily unavailable"},
	} {
		res := p.Commands().Send(command(login.LoginId, tc.chat, &pb.JoinChat{}))
		said := srv.refuseJoin[tc.chat][5:]
		if res.Error.GetCode() != tc.want || !strings.Contains(res.Error.GetText(), tc.says) || !strings.Contains(res.Error.GetText(), said) {
			t.Errorf("join %s: %v; want %v saying %q and the server's %q", tc.chat, res.Error, tc.want, tc.says, said)
		}
	}
}

// A netsplit: many members quit with "*.net *.split", then come back.
// Each is one member event, as biboumi sends one presence each.
func TestNetsplit(t *testing.T) {
	srv := startScripted(t, "", "")
	_, evs, _ := scriptedLogin(t, srv, "", "kit", "#c")
	var nicks []string
	for i := range 20 {
		nicks = append(nicks, fmt.Sprintf("m%d", i))
	}
	for _, n := range nicks {
		srv.send(":%s!u@h JOIN #c", n)
	}
	for _, n := range nicks {
		srv.send(":%s!u@h QUIT :*.net *.split", n)
	}
	for _, n := range nicks {
		srv.send(":%s!u@h JOIN #c", n)
	}
	// The netjoin's modes come from the server, not a nick.
	srv.send(":irc.example.net MODE #c +oo m0 m1")
	srv.send(":bob!b@h PRIVMSG #c :marker")
	counts := map[pb.MemberEvent_Kind]int{}
	other := 0
	evs.NextEvent(func(ev *pb.Event) bool {
		switch {
		case ev.GetMember() != nil:
			counts[ev.GetMember().Kind]++
			if ev.GetMember().Kind == pb.MemberEvent_KIND_LEFT && ev.GetMember().Reason != "*.net *.split" {
				t.Errorf("a quit's reason: %q", ev.GetMember().Reason)
			}
		case ev.GetMessage() != nil:
			return true
		case ev.GetLoginState() == nil && ev.GetSavedState() == nil:
			other++
		}
		return false
	})
	if counts[pb.MemberEvent_KIND_JOINED] != 40 || counts[pb.MemberEvent_KIND_LEFT] != 20 || counts[pb.MemberEvent_KIND_ROLE_CHANGED] != 2 || other != 0 {
		t.Errorf("member events %v, others %d; want 40 joins, 20 leaves and the server's 2 role changes alone", counts, other)
	}
}

// The same with IRCv3 batch (asked for, for history): a server that
// wraps a netsplit's quits and a netjoin's joins in netsplit and
// netjoin batches (InspIRCd) has them held to the batch's end, then
// each is its member event, at its own server time. (irc-go hands
// batches no callback takes over line by line; the test holds it to it.)
func TestNetsplitInBatches(t *testing.T) {
	srv := startScripted(t, "batch server-time", "")
	_, evs, _ := scriptedLogin(t, srv, "", "kit", "#c")
	nicks := []string{"m0", "m1", "m2"}
	for _, n := range nicks {
		srv.send(":%s!u@h JOIN #c", n)
	}
	srv.send(":srv BATCH +ns netsplit irc.hub.net irc.leaf.net")
	for _, n := range nicks {
		srv.send("@batch=ns;time=2024-05-06T07:08:09.000Z :%s!u@h QUIT :irc.hub.net irc.leaf.net", n)
	}
	srv.send(":srv BATCH -ns")
	srv.send(":srv BATCH +nj netjoin irc.hub.net irc.leaf.net")
	for _, n := range nicks {
		srv.send("@batch=nj;time=2024-05-06T07:09:10.000Z :%s!u@h JOIN #c", n)
	}
	srv.send(":srv BATCH -nj")
	srv.send(":bob!b@h PRIVMSG #c :marker")
	split := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC).UnixMicro()
	joined := time.Date(2024, 5, 6, 7, 9, 10, 0, time.UTC).UnixMicro()
	counts := map[pb.MemberEvent_Kind]int{}
	evs.NextEvent(func(ev *pb.Event) bool {
		switch m := ev.GetMember(); {
		case m != nil:
			counts[m.Kind]++
			if m.Kind == pb.MemberEvent_KIND_LEFT && (m.Reason != "irc.hub.net irc.leaf.net" || ev.TimestampUnixMicro != split) {
				t.Errorf("a netsplit quit: %v", ev)
			}
			if m.Kind == pb.MemberEvent_KIND_JOINED && counts[m.Kind] > len(nicks) && ev.TimestampUnixMicro != joined {
				t.Errorf("a netjoin join: %v", ev)
			}
		case ev.GetMessage() != nil:
			return true
		}
		return false
	})
	if counts[pb.MemberEvent_KIND_JOINED] != 6 || counts[pb.MemberEvent_KIND_LEFT] != 3 {
		t.Errorf("member events %v; want 6 joins and 3 leaves", counts)
	}
}

// CHANTYPES with & (server-local channels) and ! (IRCnet's safe channels):
// both are channels.
func TestChanTypes(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.isupport = "CHANTYPES=#&!"
	srv.mu.Unlock()
	p, evs, login := scriptedLogin(t, srv, "", "kit", "")
	for _, ch := range []string{"&local", "!ABCDEsafe"} {
		if res := p.Commands().Send(command(login.LoginId, ch, &pb.JoinChat{})); res.Error != nil {
			t.Errorf("join %s: %v", ch, res.Error)
		}
		srv.send(":bob!b@h PRIVMSG %s :in %s", ch, ch)
		ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
		if ev.ChatId != strings.ToLower(ch) || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP {
			t.Errorf("message in %s: %v", ch, ev)
		}
	}
}

// CASEMAPPING rfc1459: Dave[m] and dave{m} are one nick, one chat.
func TestCasemappingRFC1459Nicks(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.isupport = "CASEMAPPING=rfc1459"
	srv.mu.Unlock()
	_, evs, _ := scriptedLogin(t, srv, "", "kit", "")
	srv.send(":Dave[m]!u@h PRIVMSG kit :one")
	a := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	srv.send(":dave{m}!u@h PRIVMSG kit :two")
	b := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if a.ChatId != b.ChatId {
		t.Errorf("Dave[m] in %q, dave{m} in %q; want one chat", a.ChatId, b.ChatId)
	}
}

// The server's message of the day is shown in the server's chat at the
// login's first connection, as biboumi sends it from the server's JID,
// and not again at a reconnection while it is the same; a changed one
// is. A long one (hundreds of lines of ASCII art) is no trouble for the
// registration and is cut, saying how to read the rest. Before, it was
// never shown unless typed for.
func TestMOTDShown(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.motd = []string{"Welcome to \x02srv\x02", "Rules: be nice"}
	srv.mu.Unlock()
	// No channel: the login is connected at the welcome, after its MOTD.
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", []byte(`{"reconnect_min":"100ms","reconnect_max":"200ms"}`))
	evs := p.Events()
	login := p.Login("", srv.fields("kit"))
	// motd is the server chat's message until the login is connected.
	motd := func() *pb.Event {
		t.Helper()
		var got *pb.Event
		evs.NextEvent(func(ev *pb.Event) bool {
			if ev.ChatId == "127.0.0.1" && ev.GetMessage() != nil {
				got = ev
			}
			return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
		})
		return got
	}
	p.Connect(login.LoginId, login.SavedState)
	ev := motd()
	if m := ev.GetMessage(); m == nil || m.Text != "Message of the day:\nWelcome to srv\nRules: be nice" || len(m.Spans) != 1 ||
		m.Text[m.Spans[0].Start:m.Spans[0].End] != "srv" ||
		ev.Sender.GetUserId() != "127.0.0.1" || ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT {
		t.Errorf("the MOTD: %v", ev)
	}
	srv.hangUp()
	if ev := motd(); ev != nil {
		t.Errorf("the same MOTD again after a reconnection: %v", ev)
	}
	srv.mu.Lock()
	srv.motd = nil
	for i := range 2000 {
		srv.motd = append(srv.motd, fmt.Sprintf("line %d %s", i, strings.Repeat("=", 300)))
	}
	srv.mu.Unlock()
	srv.hangUp()
	ev = motd()
	if m := ev.GetMessage().GetText(); !strings.HasPrefix(m, "Message of the day:\nline 0 ===") || len(m) > 17<<10 ||
		!strings.HasSuffix(m, "lines more: type MOTD in this chat for the whole)") {
		t.Errorf("a long changed MOTD: %d bytes, ending %q", len(m), m[max(0, len(m)-80):])
	}
}

// The MOTD goes out before the login's state marks it seen: the events
// are journalled in order, so a crash between the two shows it again at
// the next connection rather than never. Before, the state saying it
// seen came first, and a crash right after it lost that MOTD for good.
func TestMOTDShownBeforeSeen(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.motd = []string{"Rules: be nice"}
	srv.mu.Unlock()
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	login := p.Login("", srv.fields("kit"))
	p.Connect(login.LoginId, login.SavedState)
	var shown, seen bool
	evs.NextEvent(func(ev *pb.Event) bool {
		switch {
		case ev.ChatId == "127.0.0.1" && strings.HasPrefix(ev.GetMessage().GetText(), "Message of the day:"):
			shown = true
		case strings.Contains(string(ev.GetSavedState().GetSavedState()), `"motd_seen"`):
			if !shown {
				t.Errorf("the state marks the MOTD seen before the MOTD was emitted")
			}
			seen = true
		}
		return shown && seen
	})
}

// A server that PINGs the client before its welcome and waits for the
// PONG (UnrealIRCd's and ircu's anti-spoof cookie) registers it.
func TestPingCookieAtRegistration(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.cookie = "1A2B:3C4D"
	srv.mu.Unlock()
	scriptedLogin(t, srv, "", "kit", "#c")
	srv.got("PONG 1A2B:3C4D")
}

// A server that takes the connection but never welcomes the login (its
// ident or DNS lookups stuck, a bouncer whose network is down): the
// attempt times out, the state says so, and
// the login is tried again. Before, the state read "refused the
// connection: Server did not respond in time", no refusal at all.
func TestNoWelcome(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.mute = true
	srv.mu.Unlock()
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", []byte(`{"keepalive":"1s","reconnect_min":"100ms","reconnect_max":"200ms"}`))
	evs := p.Events()
	login := p.Login("", srv.fields("kit"))
	connectAsync(p, login)
	st := settledState(evs)
	if st.State != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT || strings.Contains(st.Message, "refused") ||
		!strings.Contains(st.Message, "did not welcome the login within 1s") ||
		!strings.Contains(st.Message, "trying again") {
		t.Errorf("state %v; want a transient disconnection saying the server did not welcome the login", st)
	}
	srv.wait("a second attempt", func() bool { return len(srv.arrived) >= 2 })
}

// A server that welcomes the login (001) and sends its 005 but never
// ends a MOTD (neither 376 nor 422, which irc-go waits for to end the
// registration): once it has been quiet a moment after the welcome, the
// MOTD is taken as ended, as biboumi and WeeChat take the welcome itself
// (they join at 001): the login is connected, with the 005's ISUPPORT
// (its CHANTYPES: a channel of "&"), and joins its channels. Before, it
// was given up on at the timeout, the state saying the registration
// never ended, and tried again for ever.
func TestWelcomeWithoutMOTDEnd(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.noMOTDEnd = true
	srv.isupport = "CHANTYPES=#&"
	srv.mu.Unlock()
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", []byte(`{"keepalive":"20s","reconnect_min":"100ms","reconnect_max":"200ms"}`))
	evs := p.Events()
	f := srv.fields("kit")
	f["channels"] = "#c"
	login := p.Login("", f)
	connectAsync(p, login)
	st := settledState(evs)
	if st.State != pb.LoginState_LOGIN_STATE_CONNECTED || !strings.HasSuffix(st.Message, " as kit") {
		t.Fatalf("state %v; want connected as kit", st)
	}
	srv.got("JOIN #c")
	if res := p.Commands().Send(command(login.LoginId, "&local", &pb.JoinChat{})); res.Error != nil {
		t.Errorf("join &local: %v", res.Error)
	}
	srv.got("JOIN &local") // the 005's CHANTYPES taken: not #&local
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if n := len(srv.arrived); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

// 433 at registration: another nick (irc-go's nick_0), said in the
// connected state.
func TestNickInUseAtRegistrationScripted(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.nicksInUse = map[string]bool{"kit": true}
	srv.mu.Unlock()
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	login := p.Login("", srv.fields("kit"))
	connectAsync(p, login)
	st := settledState(evs)
	if st.State != pb.LoginState_LOGIN_STATE_CONNECTED || !strings.Contains(st.Message, "the nick kit is in use: you are kit_0") {
		t.Errorf("state %v; want connected as kit_0, saying kit is in use", st)
	}
}

// IRCnet's safe channels (RFC 2811: CHANTYPES with !): "!name" joins the
// channel whose full name is "!" and its 5-character ID then "name"
// ("!!name" creates one), and the server's JOIN names it so. The join
// answers at once with that channel's ID (the gateway sends the user to
// its room, as for another spelling), and the login keeps the full name,
// so the next connection joins it, not another "!name". Before, the join
// waited 15 s and failed UNAVAILABLE while the full name's room came as
// one joined elsewhere; a login's "!name" held its connection 10 s.
func TestSafeChannels(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.isupport = "CHANTYPES=#&!+ CHIDLEN=5"
	srv.joinAs = map[string]string{"!safe": "!ABCDEsafe", "!!new": "!XYZ12new", "!old": "!OLD99old"}
	srv.mu.Unlock()
	p, evs, login := scriptedLogin(t, srv, "", "kit", "!old")
	for _, tc := range []struct{ asked, id string }{{"!safe", "!abcdesafe"}, {"!!new", "!xyz12new"}} {
		start := time.Now()
		res := p.Commands().Send(command(login.LoginId, tc.asked, &pb.JoinChat{}))
		if res.Error != nil || res.ChatId != tc.id {
			t.Errorf("join %s: %v after %v; want the chat %s", tc.asked, res, time.Since(start), tc.id)
		}
		if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil }); ev.ChatId != tc.id {
			t.Errorf("chat event %v, want %s", ev, tc.id)
		}
	}
	saved := evs.NextEvent(func(ev *pb.Event) bool {
		return ev.GetSavedState() != nil && strings.Contains(string(ev.GetSavedState().SavedState), "XYZ12new")
	})
	st := string(saved.GetSavedState().SavedState)
	for _, want := range []string{`"!OLD99old"`, `"!ABCDEsafe"`, `"!XYZ12new"`} {
		if !strings.Contains(st, want) {
			t.Errorf("saved state %s; want %s", st, want)
		}
	}
	for _, not := range []string{`"!old"`, `"!safe"`, `"!!new"`} {
		if strings.Contains(st, not) {
			t.Errorf("saved state %s; want no %s", st, not)
		}
	}
}

// A nick held after a netsplit (IRCnet's nick delay: 437 at
// registration) gets another at once, as one in use does, and the state
// says the server holds it. Before, it said the nick was in use.
func TestNickDelayedAtRegistration(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.nicksDelayed = map[string]bool{"kit": true}
	srv.mu.Unlock()
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	connectAsync(p, p.Login("", srv.fields("kit")))
	st := settledState(evs)
	if st.State != pb.LoginState_LOGIN_STATE_CONNECTED || !strings.Contains(st.Message, "holds the nick kit for now") || !strings.Contains(st.Message, "you are kit_0") {
		t.Errorf("state %v; want connected as kit_0, saying the server holds kit", st)
	}
}
