package irc_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A reconnection whose connection the server ends during registration
// (after the TCP connection, before its welcome) says so in the login's
// state, with what the server said: a K-line's ban and ERROR, a nick in
// use, a password or a SASL account refused, or nothing at all. Once the
// server takes it again, the login is connected.
func TestReconnectDroppedInRegistration(t *testing.T) {
	cases := []struct {
		name  string
		lines []string // what the server says before it hangs up
		sasl  bool     // the SASL account is refused instead
		want  []string
	}{
		{name: "kline", lines: []string{":srv 465 ned :You are banned from this server", "ERROR :Closing Link: ned[127.0.0.1] (K-Lined)"},
			want: []string{"closed the connection during registration", `you are banned from it ("You are banned from this server")`, `it said "Closing Link: ned[127.0.0.1] (K-Lined)"`}},
		{name: "nick", lines: []string{":srv 433 * ned :Nickname is already in use"},
			want: []string{"closed the connection during registration", "the nick ned is in use"}},
		{name: "password", lines: []string{":srv 464 ned :Password incorrect"},
			want: []string{"closed the connection during registration", `it refused the password ("Password incorrect")`}},
		{name: "silent", lines: []string{},
			want: []string{"closed the connection during registration without a word"}},
		{name: "sasl", sasl: true,
			want: []string{`it refused the SASL account ("SASL authentication failed")`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startScripted(t, "sasl", "ned\x00s3cret")
			p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", []byte(`{"reconnect_min":"50ms","reconnect_max":"200ms"}`))
			evs := p.Events()
			f := srv.fields("ned")
			f["sasl_user"], f["sasl_password"] = "ned", "s3cret"
			login := p.Login("", f)
			p.Connect(login.LoginId, login.SavedState)
			evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })

			srv.mu.Lock()
			if tc.sasl {
				srv.sasl, srv.dropOnSASLFail = "ned\x00changed", true
			} else {
				srv.atRegistration = tc.lines
			}
			srv.mu.Unlock()
			srv.hangUp()
			st := evs.NextEvent(func(ev *pb.Event) bool {
				return strings.Contains(ev.GetLoginState().GetMessage(), "registration")
			}).GetLoginState()
			t.Logf("state: %s", st.Message)
			if st.State != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT {
				t.Errorf("state %v, want a transient disconnect: %q", st.State, st.Message)
			}
			for _, w := range tc.want {
				if !strings.Contains(st.Message, w) {
					t.Errorf("state message %q, want it to say %q", st.Message, w)
				}
			}
			if !strings.HasPrefix(st.Message, "127.0.0.1:") || !strings.HasSuffix(st.Message, "; trying again") {
				t.Errorf("state message %q, want it to name the server and say it tries again", st.Message)
			}

			srv.mu.Lock()
			srv.atRegistration, srv.sasl, srv.dropOnSASLFail = nil, "ned\x00s3cret", false
			srv.mu.Unlock()
			evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
		})
	}
}

// TestHungUpAsWelcomed: a server that hangs up right after its welcome
// can make ircevent's Connect fail (its wait sees the end and the welcome
// at once), so the plugin tries again as for a first connection. The
// login was welcomed, so those attempts are reconnections: a later one
// ended during registration says why, as above (it said "refused the
// connection: Disconnected by server", without the server's words, in
// about half the runs before).
func TestHungUpAsWelcomed(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.afterWelcome = []string{":srv 465 ned :You are banned from this server", "ERROR :Closing Link: ned[127.0.0.1] (K-Lined)"}
	srv.mu.Unlock()
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", []byte(`{"reconnect_min":"50ms","reconnect_max":"200ms"}`))
	evs := p.Events()
	login := p.Login("", srv.fields("ned"))
	p.Connect(login.LoginId, login.SavedState)
	st := evs.NextEvent(func(ev *pb.Event) bool {
		return strings.Contains(ev.GetLoginState().GetMessage(), "registration")
	}).GetLoginState()
	if st.State != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT || !strings.Contains(st.Message, `you are banned from it ("You are banned from this server")`) {
		t.Errorf("state %v %q, want a transient disconnect that says the server banned the login", st.State, st.Message)
	}
	srv.mu.Lock()
	srv.atRegistration = nil
	srv.mu.Unlock()
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
}
