package irc_test

import (
	"slices"
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
		if done.LoginId != "alice[1]@irc.example.org:6697" {
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
