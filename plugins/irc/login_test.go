package irc_test

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Wrong login input is asked again with a message saying what is wrong;
// right input completes the login, with the channels and the nick, A-Z
// folded (TestLoginIDsApart), in it.
func TestLoginForm(t *testing.T) {
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	ctx, cancel := p.CallContext()
	defer cancel()
	c := p.Client()
	ok := map[string]string{"server": "irc.example.org", "nick": "Alice[1]", "tls": "on", "channels": "#a, b"}
	for _, tc := range []struct {
		change map[string]string
		want   string // in the error; "" = completes
		saved  string // in the saved state of a completed login
	}{
		{map[string]string{"server": ""}, "server", ""},
		{map[string]string{"nick": "9lives"}, "nick", ""},
		{map[string]string{"nick": "two words"}, "nick", ""},
		{map[string]string{"port": "70000"}, "port", ""},
		{map[string]string{"port": "x"}, "port", ""},
		{map[string]string{"tls": "maybe"}, "TLS", ""},
		{map[string]string{"sasl_user": "alice"}, "SASL", ""},
		{map[string]string{"throttle": "-2"}, "Throttle", ""},
		{map[string]string{"throttle": "fast"}, "Throttle", ""},
		{map[string]string{"throttle": "1000"}, "Throttle", ""},
		{map[string]string{"throttle": "NaN"}, "Throttle", ""},
		{map[string]string{"throttle": "1e-300"}, "Throttle", ""}, // a line an age
		{nil, "", ""},
		{map[string]string{"throttle": "off"}, "", `"throttle":0`},
		{map[string]string{"throttle": "-1"}, "", `"throttle":0`}, // biboumi's "no limit"
		{map[string]string{"throttle": "0.5"}, "", `"throttle":0.5`},
		{map[string]string{"server_password": "a\nb"}, "server password", ""},
		{map[string]string{"server_password": "user/net:pw"}, "", `"server_password":"user/net:pw"`},
		// A channel's key after it (before, "#a sesame" was a channel
		// name with a space, whose JOIN the server refused).
		{map[string]string{"channels": "#a sesame, b"}, "", `"keys":{"#a":"sesame"}`},
		{map[string]string{"channels": "#a b c"}, "channels", ""},
		{map[string]string{"channels": "#a:b"}, "channels", ""},
	} {
		fields := map[string]string{}
		for k, v := range ok {
			fields[k] = v
		}
		for k, v := range tc.change {
			fields[k] = v
		}
		step, err := c.StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(step.GetForm().GetFields(), func(f *pb.FormField) bool { return f.Id == "throttle" }) {
			t.Fatalf("first step %v is no form with a throttle field", step)
		}
		step, err = c.SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: fields})
		if err != nil {
			t.Fatalf("%v: %v", tc.change, err)
		}
		if tc.want != "" {
			if step.GetForm() == nil || !strings.Contains(step.Error, tc.want) {
				t.Errorf("%v: step %v, want the form again with an error about %s", tc.change, step, tc.want)
			}
			continue
		}
		done := step.GetComplete()
		if done == nil {
			t.Fatalf("right input: step %v", step)
		}
		if !ownLoginID(done.LoginId, "alice[1]@irc.example.org:6697") {
			t.Errorf("login ID %q", done.LoginId)
		}
		if s := string(done.SavedState); !strings.Contains(s, `"channels":["#a","#b"]`) || !strings.Contains(s, `"tls":true`) || !strings.Contains(s, tc.saved) {
			t.Errorf("%v: saved state %s", tc.change, s)
		}
		if s := string(done.SavedState); tc.saved == "" && strings.Contains(s, "throttle") {
			t.Errorf("no throttle given: saved state %s, want the default left out", s)
		}
	}
}

// Two nicks the server tells apart are two logins: on ngircd, which folds
// A-Z only, dave[m] and dave{m} are two users, whose logins (two XMPP
// users') have two IDs, each connected as its own nick, each getting its
// own messages. Before, the login ID folded the nick as RFC 1459 says:
// both were dave{m}@..., and the second Connect took the first's
// session (the gateway and the SDK key a login by its ID).
func TestLoginIDsApart(t *testing.T) {
	s := startNgircd(t)
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	a := p.Login("", loginFields(s, "dave[m]", ""))
	b := p.Login("", loginFields(s, "dave{m}", ""))
	if a.LoginId == b.LoginId {
		t.Fatalf("dave[m] and dave{m} are one login, %q", a.LoginId)
	}
	for _, l := range []*pb.CompleteStep{a, b} {
		p.Connect(l.LoginId, l.SavedState)
		evs.NextEvent(func(ev *pb.Event) bool {
			return ev.LoginId == l.LoginId && ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
		})
	}
	erin := newClient(t, s, "erin")
	for nick, l := range map[string]*pb.CompleteStep{"dave[m]": a, "dave{m}": b} {
		if err := erin.conn.Privmsg(nick, "to "+nick); err != nil {
			t.Fatal(err)
		}
		ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
		if ev.LoginId != l.LoginId || ev.GetMessage().Text != "to "+nick {
			t.Errorf("message to %s: %q for %s; want it for %s", nick, ev.GetMessage().Text, ev.LoginId, l.LoginId)
		}
	}
}

// A nick with characters a user name may not have (ngircd refuses
// dave[m] as one: "Invalid user name") logs in, its user name the
// nick's letters. Before, USER carried the nick, and the server hung up
// at every attempt: the login never got in.
func TestNickWithBracketsLogsIn(t *testing.T) {
	s := startNgircd(t)
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	l := p.Login("", loginFields(s, "dave[m]", ""))
	p.Connect(l.LoginId, l.SavedState)
	ev := evs.NextEvent(func(ev *pb.Event) bool {
		st := ev.GetLoginState().GetState()
		return st == pb.LoginState_LOGIN_STATE_CONNECTED || st == pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT
	})
	if st := ev.GetLoginState(); st.State != pb.LoginState_LOGIN_STATE_CONNECTED {
		t.Fatalf("login of dave[m]: %v; want connected", st)
	}
}

// ownLoginID reports whether id is the ID of a login made now as
// nick@server:port (legacy, the ID of before): that, "/" and the user's
// part, 16 hex digits.
func ownLoginID(id, legacy string) bool {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(legacy) + `/[0-9a-f]{16}$`).MatchString(id)
}

// loginAs completes a login of user with fields, through the SDK as the
// gateway does.
func loginAs(t *testing.T, p *plugintest.Plugin, user string, fields map[string]string) *pb.CompleteStep {
	t.Helper()
	ctx, cancel := p.CallContext()
	defer cancel()
	step, err := p.Client().StartLogin(ctx, &pb.StartLoginRequest{UserJid: user})
	if err != nil {
		t.Fatal(err)
	}
	step, err = p.Client().SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: fields})
	if err != nil || step.GetComplete() == nil {
		t.Fatalf("login of %s: %v, %v", user, step, err)
	}
	return step.GetComplete()
}

// connectAs connects user's login, as the gateway does.
func connectAs(t *testing.T, p *plugintest.Plugin, user, loginID string, state []byte) {
	t.Helper()
	ctx, cancel := p.CallContext()
	defer cancel()
	if _, err := p.Client().Connect(ctx, &pb.ConnectRequest{LoginId: loginID, UserJid: user, SavedState: state}); err != nil {
		t.Fatalf("Connect(%s) of %s: %v", loginID, user, err)
	}
}

// A nick is no account: two XMPP users logging in with one nick on one
// server are two logins, with two IDs, each connected as its own nick
// (the second as the server's fallback), each getting its own messages;
// a user logging in again as the same nick keeps their ID. Before, the
// ID was nick@server:port alone: both were one login, the second
// Connect took the first's session (the SDK keys a login by its ID), and
// the gateway refused the second user (another user's account).
func TestLoginIDPerUser(t *testing.T) {
	s := startNgircd(t)
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	const alice, bob = "alice@example.org", "bob@example.org"
	legacy := "sam@127.0.0.1:" + strconv.Itoa(s.port)
	a := loginAs(t, p, alice, loginFields(s, "Sam", ""))
	b := loginAs(t, p, bob, loginFields(s, "Sam", ""))
	if a.LoginId == b.LoginId {
		t.Fatalf("two users as one nick are one login, %q", a.LoginId)
	}
	for _, id := range []string{a.LoginId, b.LoginId} {
		if !ownLoginID(id, legacy) {
			t.Errorf("login ID %q, want %s/ and 16 hex digits", id, legacy)
		}
	}
	if again := loginAs(t, p, alice, loginFields(s, "sam", "")); again.LoginId != a.LoginId {
		t.Errorf("alice's login again as sam: %q, want her ID %q", again.LoginId, a.LoginId)
	}
	nicks := map[string]string{} // login ID -> nick it got
	for user, l := range map[string]*pb.CompleteStep{alice: a, bob: b} {
		connectAs(t, p, user, l.LoginId, l.SavedState)
		ev := evs.NextEvent(func(ev *pb.Event) bool {
			return ev.LoginId == l.LoginId && ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
		})
		msg := ev.GetLoginState().Message
		nicks[l.LoginId] = msg[strings.LastIndex(msg, " ")+1:]
	}
	if nicks[a.LoginId] == nicks[b.LoginId] {
		t.Fatalf("both logins are %s on the server", nicks[a.LoginId])
	}
	erin := newClient(t, s, "erin")
	for id, nick := range nicks {
		if err := erin.conn.Privmsg(nick, "to "+nick); err != nil {
			t.Fatal(err)
		}
		ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
		if ev.LoginId != id || ev.GetMessage().Text != "to "+nick {
			t.Errorf("message to %s: %q for %s; want it for %s", nick, ev.GetMessage().Text, ev.LoginId, id)
		}
	}
}

// A login made before the ID had its user's part keeps its ID: the
// gateway's Connect hands it back, and the session's events carry it; the
// same user logging in again as the same nick on the same server gets it
// again (a new ID would be another account to the gateway, which drops
// the old login's chats and archives), another user does not.
func TestLegacyLoginIDKept(t *testing.T) {
	s := startNgircd(t)
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	const alice, bob = "alice@example.org", "bob@example.org"
	legacy := "sam@127.0.0.1:" + strconv.Itoa(s.port)
	state := loginAs(t, p, alice, loginFields(s, "sam", "")).SavedState
	connectAs(t, p, alice, legacy, state)
	evs.NextEvent(func(ev *pb.Event) bool {
		return ev.LoginId == legacy && ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	erin := newClient(t, s, "erin")
	if err := erin.conn.Privmsg("sam", "still you"); err != nil {
		t.Fatal(err)
	}
	if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil }); ev.LoginId != legacy {
		t.Errorf("message for %q, want the login's ID %q", ev.LoginId, legacy)
	}
	if again := loginAs(t, p, alice, loginFields(s, "Sam", "")); again.LoginId != legacy {
		t.Errorf("alice's login again as Sam: %q, want her login's ID %q", again.LoginId, legacy)
	}
	if other := loginAs(t, p, alice, loginFields(s, "pat", "")); !ownLoginID(other.LoginId, "pat@127.0.0.1:"+strconv.Itoa(s.port)) {
		t.Errorf("alice's login as pat: %q", other.LoginId)
	}
	if theirs := loginAs(t, p, bob, loginFields(s, "sam", "")); !ownLoginID(theirs.LoginId, legacy) {
		t.Errorf("bob's login as sam: %q, want an ID of his own", theirs.LoginId)
	}
	// Logged out, the legacy ID is not given again.
	ctx, cancel := p.CallContext()
	defer cancel()
	if _, err := p.Client().Logout(ctx, &pb.LogoutRequest{LoginId: legacy, UserJid: alice, SavedState: state}); err != nil {
		t.Fatal(err)
	}
	if again := loginAs(t, p, alice, loginFields(s, "sam", "")); !ownLoginID(again.LoginId, legacy) {
		t.Errorf("alice's login as sam after her logout: %q, want the ID of now", again.LoginId)
	}
}

// After a plugin restart the gateway takes logins while it connects its
// logins again: a user whose old-style login is not loaded yet, logging
// in again as its nick, gets its ID, kept in the plugin's data folder
// since the login was last loaded. Once logged out, it is not given.
func TestLegacyLoginIDKeptAfterRestart(t *testing.T) {
	s := startNgircd(t)
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	const alice = "alice@example.org"
	legacy := "sam@127.0.0.1:" + strconv.Itoa(s.port)
	state := loginAs(t, p, alice, loginFields(s, "sam", "")).SavedState
	connectAs(t, p, alice, legacy, state)
	p.Restart()
	if again := loginAs(t, p, alice, loginFields(s, "Sam", "")); again.LoginId != legacy {
		t.Errorf("alice's login again as Sam after a restart: %q, want her login's ID %q", again.LoginId, legacy)
	}
	if theirs := loginAs(t, p, "bob@example.org", loginFields(s, "sam", "")); !ownLoginID(theirs.LoginId, legacy) {
		t.Errorf("bob's login as sam: %q, want an ID of his own", theirs.LoginId)
	}
	ctx, cancel := p.CallContext()
	defer cancel()
	if _, err := p.Client().Logout(ctx, &pb.LogoutRequest{LoginId: legacy, UserJid: alice, SavedState: state}); err != nil {
		t.Fatal(err)
	}
	p.Restart()
	if again := loginAs(t, p, alice, loginFields(s, "sam", "")); !ownLoginID(again.LoginId, legacy) {
		t.Errorf("alice's login as sam after her logout and a restart: %q, want the ID of now", again.LoginId)
	}
}
