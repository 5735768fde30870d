package irc_test

import (
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A server that refuses the login with a ban as it registers (465, 463,
// or an ERROR that says it is K-lined) stops the login: its state is
// STOPPED with the server's words, and no attempt follows, at the first
// connection as on a reconnection. Before, a ban was a transient
// disconnect, tried again forever. An ERROR that is no ban (a ping
// timeout) stays transient, and is tried again.
func TestBanStopsLogin(t *testing.T) {
	cases := []struct {
		name  string
		lines []string // what the server says before it hangs up
		ban   bool
		want  string // the server's words, quoted in the login's state
	}{
		{name: "465", lines: []string{":srv 465 ned :You are banned from this server: spam"},
			ban: true, want: `"You are banned from this server: spam"`},
		{name: "kline", lines: []string{"ERROR :Closing Link: ned[127.0.0.1] (K-Lined)"},
			ban: true, want: `"Closing Link: ned[127.0.0.1] (K-Lined)"`},
		{name: "465+gline", lines: []string{":srv 465 ned :You are banned", "ERROR :Closing Link: ned[127.0.0.1] (G-lined: open proxy)"},
			ban: true, want: `"Closing Link: ned[127.0.0.1] (G-lined: open proxy)"`},
		{name: "463", lines: []string{":srv 463 ned :Your host isn't among the privileged"},
			ban: true, want: `"Your host isn't among the privileged"`},
		{name: "pingtimeout", lines: []string{"ERROR :Closing Link: ned[127.0.0.1] (Ping timeout)"},
			want: `"Closing Link: ned[127.0.0.1] (Ping timeout)"`},
	}
	for _, tc := range cases {
		for _, reconnect := range []bool{false, true} {
			name := tc.name + "/first"
			if reconnect {
				name = tc.name + "/reconnect"
			}
			t.Run(name, func(t *testing.T) {
				srv := startScripted(t, "", "")
				p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", []byte(`{"reconnect_min":"20ms","reconnect_max":"50ms"}`))
				evs := p.Events()
				login := p.Login("", srv.fields("ned"))
				if !reconnect {
					srv.mu.Lock()
					srv.atRegistration = tc.lines
					srv.mu.Unlock()
				}
				p.Connect(login.LoginId, login.SavedState)
				if reconnect {
					evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
					srv.mu.Lock()
					srv.atRegistration = tc.lines
					srv.mu.Unlock()
					srv.hangUp()
				}

				// The state that says how the refused attempt ended: a
				// stop, or a transient disconnect tried again.
				st := evs.NextEvent(func(ev *pb.Event) bool {
					st := ev.GetLoginState()
					return st.GetState() == pb.LoginState_LOGIN_STATE_STOPPED ||
						strings.Contains(st.GetMessage(), "trying again") || strings.Contains(st.GetMessage(), "refused the connection")
				}).GetLoginState()
				srv.mu.Lock()
				n := len(srv.arrived)
				srv.mu.Unlock()
				t.Logf("state: %v %s (after %d connections)", st.State, st.Message, n)
				if !strings.Contains(st.Message, tc.want) {
					t.Errorf("state message %q, want the server's words %s", st.Message, tc.want)
				}

				if !tc.ban {
					if st.State != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT {
						t.Errorf("state %v, want a transient disconnect", st.State)
					}
					// Tried again: another connection comes, and the
					// login is connected once the server takes it.
					srv.wait("another connection", func() bool { return len(srv.arrived) > n })
					srv.mu.Lock()
					srv.atRegistration = nil
					srv.mu.Unlock()
					evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
					return
				}

				if st.State != pb.LoginState_LOGIN_STATE_STOPPED || !strings.Contains(st.Message, "relogin") {
					t.Fatalf("state %v %q, want stopped, saying to relogin", st.State, st.Message)
				}
				// Not tried again: the plugin says it makes no more
				// attempt, and by then the server saw none after the
				// banned one.
				waitLog(t, p, "irc: no more connection attempts")
				srv.mu.Lock()
				again := len(srv.arrived) - n
				srv.mu.Unlock()
				if wantN := map[bool]int{false: 1, true: 2}[reconnect]; n != wantN || again != 0 {
					t.Errorf("%d connections until the ban and %d after, want %d and none", n, again, wantN)
				}
			})
		}
	}
}

// waitLog waits until the plugin's log has line.
func waitLog(t *testing.T, p *plugintest.Plugin, line string) {
	t.Helper()
	deadline := time.Now().Add(plugintest.Timeout)
	for !strings.Contains(p.Stderr(), line) {
		if time.Now().After(deadline) {
			t.Fatalf("the plugin never logged %q; its log:\n%s", line, p.Stderr())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
