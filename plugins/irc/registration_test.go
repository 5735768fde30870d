package irc_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A reconnection whose connection the server ends during registration
// (after the TCP connection, before its welcome) says so in the login's
// state, with what the server said: its ERROR, a nick in use, or
// nothing at all. Once the server takes it again, the login is
// connected. (A SASL account refused is not tried again:
// TestSASLRefusedOnReconnect; nor is a server password refused:
// TestServerPasswordRefusedStops; nor is a ban: TestBanStopsLogin.)
func TestReconnectDroppedInRegistration(t *testing.T) {
	cases := []struct {
		name  string
		lines []string // what the server says before it hangs up
		want  []string
	}{
		{name: "error", lines: []string{"ERROR :Closing Link: ned[127.0.0.1] (Too many connections from your IP)"},
			want: []string{"closed the connection during registration", `it said "Closing Link: ned[127.0.0.1] (Too many connections from your IP)"`}},
		{name: "nick", lines: []string{":srv 433 * ned :Nickname is already in use"},
			want: []string{"closed the connection during registration", "the nick ned is in use"}},
		{name: "silent", lines: []string{},
			want: []string{"closed the connection during registration without a word"}},
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
			srv.atRegistration = tc.lines
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
			srv.atRegistration = nil
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
	srv.afterWelcome = []string{"ERROR :Closing Link: ned[127.0.0.1] (Server is restarting)"}
	srv.mu.Unlock()
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", []byte(`{"reconnect_min":"50ms","reconnect_max":"200ms"}`))
	evs := p.Events()
	login := p.Login("", srv.fields("ned"))
	p.Connect(login.LoginId, login.SavedState)
	st := evs.NextEvent(func(ev *pb.Event) bool {
		return strings.Contains(ev.GetLoginState().GetMessage(), "registration")
	}).GetLoginState()
	if st.State != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT || !strings.Contains(st.Message, `it said "Closing Link: ned[127.0.0.1] (Server is restarting)"`) {
		t.Errorf("state %v %q, want a transient disconnect with the server's words", st.State, st.Message)
	}
	srv.mu.Lock()
	srv.atRegistration = nil
	srv.mu.Unlock()
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
}

// A SASL account the server refuses on a reconnection (its password was
// changed on the server) is bad credentials, as at the first connection:
// the login says so with the server's words, and is not tried again
// until the user logs in again. Before, it was tried again and again,
// each attempt a transient disconnect. Whether the server hangs up at
// once after refusing, or waits for the client's QUIT, makes no
// difference.
func TestSASLRefusedOnReconnect(t *testing.T) {
	for _, drop := range []bool{false, true} {
		t.Run(fmt.Sprintf("drop=%v", drop), func(t *testing.T) {
			srv := startScripted(t, "sasl", "ned\x00s3cret")
			p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", []byte(`{"reconnect_min":"50ms","reconnect_max":"100ms"}`))
			evs := p.Events()
			f := srv.fields("ned")
			f["sasl_user"], f["sasl_password"] = "ned", "s3cret"
			login := p.Login("", f)
			p.Connect(login.LoginId, login.SavedState)
			evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })

			srv.mu.Lock()
			srv.sasl, srv.saslFail, srv.dropOnSASLFail = "ned\x00changed", "Invalid account credentials", drop
			srv.mu.Unlock()
			srv.hangUp()
			st := evs.NextEvent(func(ev *pb.Event) bool {
				st := ev.GetLoginState()
				return st != nil && st.State != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT
			}).GetLoginState()
			t.Logf("state: %v %s", st.State, st.Message)
			if st.State != pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS || !strings.Contains(st.Message, "Invalid account credentials") {
				t.Fatalf("state %v %q, want bad credentials with the server's words", st.State, st.Message)
			}
			srv.mu.Lock()
			n := len(srv.arrived)
			srv.mu.Unlock()
			// Not tried again: many times reconnect_max later, no
			// connection came (before, one came every 100 ms at most).
			time.Sleep(time.Second)
			srv.mu.Lock()
			again := len(srv.arrived) - n
			srv.mu.Unlock()
			if again != 0 {
				t.Errorf("%d connections after the refusal, want none", again)
			}

			// The user logs in again with the new password (the gateway
			// drops the old session, then connects the new one):
			// connected.
			f["sasl_password"] = "changed"
			login = p.Login("", f)
			ctx, cancel := p.CallContext()
			defer cancel()
			if _, err := p.Client().Disconnect(ctx, &pb.LoginRef{LoginId: login.LoginId}); err != nil {
				t.Fatal(err)
			}
			p.Connect(login.LoginId, login.SavedState)
			evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
		})
	}
}

// A first connection the server ends during registration says, in the
// login's state, what the server said: its ERROR, a password refused, a
// nick it will not take. Before, it said only ircevent's "Disconnected by
// server". (A ban is not tried again: TestBanStopsLogin; nor is a nick
// the server takes for no nick, 432: bad credentials, the user logs in
// with another: TestNickRefusedAtRegistration; nor is a server password
// refused, 464: bad credentials, TestServerPasswordRefusedStops.)
func TestFirstConnectRefusedSays(t *testing.T) {
	cases := []struct {
		name  string
		lines []string
		want  []string
		final bool // not tried again: bad credentials
	}{
		{name: "error", lines: []string{"ERROR :Closing Link: 127.0.0.1 (Too many connections from your IP)"},
			want: []string{"Too many connections from your IP"}},
		{name: "password", lines: []string{":srv 464 ned :Password required for this server"},
			want: []string{"asks for a server password", "Password required for this server"}, final: true},
		{name: "nick", lines: []string{":srv 432 * ned :Erroneous nickname: reserved"},
			want: []string{"takes no nick ned", "Erroneous nickname: reserved"}, final: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startScripted(t, "", "")
			srv.mu.Lock()
			srv.atRegistration = tc.lines
			srv.mu.Unlock()
			p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", []byte(`{"reconnect_min":"50ms","reconnect_max":"100ms"}`))
			evs := p.Events()
			login := p.Login("", srv.fields("ned"))
			p.Connect(login.LoginId, login.SavedState)
			st := evs.NextEvent(func(ev *pb.Event) bool {
				return strings.Contains(ev.GetLoginState().GetMessage(), "refused the connection") ||
					ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS
			}).GetLoginState()
			t.Logf("state: %v %s", st.State, st.Message)
			for _, w := range tc.want {
				if !strings.Contains(st.Message, w) {
					t.Errorf("state message %q, want it to say %q", st.Message, w)
				}
			}
			if tc.final {
				if st.State != pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS {
					t.Errorf("state %v, want bad credentials", st.State)
				}
				waitLog(t, p, "irc: no more connection attempts")
				return
			}
			// It is tried again, and connects once the server takes it.
			srv.mu.Lock()
			srv.atRegistration = nil
			srv.mu.Unlock()
			evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
		})
	}
}
