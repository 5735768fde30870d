package irc_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A server password the server refuses (464, as ZNC and soju answer a
// wrong or missing one) is bad credentials, with the server's words, at
// the first connection and on a reconnection (the password changed on
// the server), and is not tried again until the user logs in again: a
// bouncer blocks an address that keeps failing its password (ZNC's
// anti-brute-force), which would lock the user's other clients out too.
// Before, it was tried again and again.
func TestServerPasswordRefusedStops(t *testing.T) {
	refusal := []string{":srv 464 ned :Invalid Password", "ERROR :Closing Link: ned[127.0.0.1] (Bad Password)"}
	for _, reconnect := range []bool{false, true} {
		t.Run(map[bool]string{false: "first", true: "reconnect"}[reconnect], func(t *testing.T) {
			srv := startScripted(t, "", "")
			p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", []byte(`{"reconnect_min":"20ms","reconnect_max":"50ms"}`))
			evs := p.Events()
			f := srv.fields("ned")
			f["server_password"] = "pw"
			login := p.Login("", f)
			if !reconnect {
				srv.mu.Lock()
				srv.atRegistration = refusal
				srv.mu.Unlock()
			}
			p.Connect(login.LoginId, login.SavedState)
			if got := srv.got("PASS"); got != "PASS pw" {
				t.Errorf("sent %q, want PASS pw", got)
			}
			if reconnect {
				evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
				srv.mu.Lock()
				srv.atRegistration = refusal
				srv.mu.Unlock()
				srv.hangUp()
			}
			st := evs.NextEvent(func(ev *pb.Event) bool {
				st := ev.GetLoginState()
				return st.GetState() == pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS ||
					strings.Contains(st.GetMessage(), "trying again") || strings.Contains(st.GetMessage(), "refused the connection")
			}).GetLoginState()
			srv.mu.Lock()
			n := len(srv.arrived)
			srv.mu.Unlock()
			if st.State != pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS || !strings.Contains(st.Message, `"Invalid Password"`) {
				t.Fatalf("state %v %q, want bad credentials with the server's words", st.State, st.Message)
			}
			waitLog(t, p, "irc: no more connection attempts")
			srv.mu.Lock()
			again := len(srv.arrived) - n
			srv.mu.Unlock()
			if wantN := map[bool]int{false: 1, true: 2}[reconnect]; n != wantN || again != 0 {
				t.Errorf("%d connections until the refusal and %d after, want %d and none", n, again, wantN)
			}
		})
	}
}
