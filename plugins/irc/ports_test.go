package irc_test

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// The port field takes several ports, as biboumi's Ports list, tried in
// turn at each connection: a login whose first port is closed connects
// to ngircd on the next, and talks; with all closed, the login state
// names each port's failure. Before, the form took one port: "6667,
// 6697" was refused.
func TestPortsTriedInTurn(t *testing.T) {
	s := startNgircd(t)
	closed := func() int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}
	shut1, shut2 := closed(), closed()
	bob := newClient(t, s, "bob")
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", []byte(`{"reconnect_min":"200ms","reconnect_max":"400ms"}`))
	evs := p.Events()
	login := p.Login("", map[string]string{"server": "127.0.0.1", "port": fmt.Sprintf("%d, %d", shut1, s.port), "tls": "off", "nick": "pat"})
	p.Connect(login.LoginId, login.SavedState)
	if st := loginState(evs); st.State != pb.LoginState_LOGIN_STATE_CONNECTED {
		t.Fatalf("login state %v, want connected on the second port", st)
	}
	if err := bob.conn.Privmsg("pat", "which port?"); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.ChatId == "bob" && ev.GetMessage().GetText() == "which port?" })

	none := p.Login("", map[string]string{"server": "127.0.0.1", "port": fmt.Sprintf("%d %d", shut1, shut2), "tls": "off", "nick": "pia"})
	p.Connect(none.LoginId, none.SavedState)
	st := evs.NextEvent(func(ev *pb.Event) bool {
		return ev.LoginId == none.LoginId && ev.GetLoginState().GetState() != pb.LoginState_LOGIN_STATE_CONNECTING
	}).GetLoginState()
	for _, port := range []int{shut1, shut2} {
		if !strings.Contains(st.Message, ":"+strconv.Itoa(port)) {
			t.Errorf("login state %v, want it to name port %d", st, port)
		}
	}
}

// The form reads ports separated by commas or spaces, and refuses one
// that is no port, or a list whose first is not the port typed after
// the server.
func TestPortsForm(t *testing.T) {
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	ctx, cancel := p.CallContext()
	defer cancel()
	for _, tc := range []struct{ server, port, says string }{
		{"irc.example.org", "6697, x", `"x"`},
		{"irc.example.org", "6697,,70000", `"70000"`},
		{"irc.example.org:7000", "6697 7000", "7000"},
	} {
		step, err := p.Client().StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID})
		if err != nil {
			t.Fatal(err)
		}
		f := map[string]string{"server": tc.server, "port": tc.port, "nick": "tess"}
		if step, err = p.Client().SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: f}); err != nil {
			t.Fatal(err)
		}
		if step.GetForm() == nil || !strings.Contains(step.Error, tc.says) {
			t.Errorf("server %q, ports %q: %v, want the form again saying %s", tc.server, tc.port, step, tc.says)
		}
	}
	step, err := p.Client().StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID})
	if err != nil {
		t.Fatal(err)
	}
	f := map[string]string{"server": "irc.example.org:6697", "port": "6697, 7000 9999", "nick": "tess", "tls": "on"}
	if step, err = p.Client().SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: f}); err != nil {
		t.Fatal(err)
	}
	if st := string(step.GetComplete().GetSavedState()); !strings.Contains(st, `"port":6697`) || !strings.Contains(st, `"other_ports":[7000,9999]`) {
		t.Errorf("saved state %s, want port 6697, then 7000 and 9999", st)
	}
}

// A login with TLS lists ports without TLS, as biboumi's Ports beside
// its TLS ports: they are tried only where no TLS port can be reached,
// and the connected state says the login is without TLS. A TLS port
// that answers with a certificate not trusted leads to no port without
// TLS (whoever can spoil a handshake would take TLS away), nor does a
// login that lists none. Against ngircd, whose TLS port has a
// certificate of a CA the transport does not trust. Before, the form
// had no such field: a TLS login never reached a server whose TLS port
// was down.
func TestPlainPortsAfterTLS(t *testing.T) {
	ca := newTestCA(t)
	_, certFile, keyFile := ca.issue("127.0.0.1")
	s := startNgircdTLS(t, certFile, keyFile)
	bob := newClient(t, s, "bob")
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", []byte(`{"reconnect_min":"200ms","reconnect_max":"400ms"}`))
	evs := p.Events()
	stateOf := func(loginID string) *pb.LoginStateEvent {
		return evs.NextEvent(func(ev *pb.Event) bool {
			st := ev.GetLoginState().GetState()
			return ev.LoginId == loginID && st != pb.LoginState_LOGIN_STATE_CONNECTING && st != pb.LoginState_LOGIN_STATE_UNKNOWN
		}).GetLoginState()
	}
	closedPort := freePort(t)

	login := p.Login("", map[string]string{"server": "127.0.0.1", "port": strconv.Itoa(closedPort), "tls": "on",
		"plain_ports": strconv.Itoa(s.port), "nick": "pat"})
	p.Connect(login.LoginId, login.SavedState)
	st := stateOf(login.LoginId)
	if st.State != pb.LoginState_LOGIN_STATE_CONNECTED {
		t.Fatalf("login state %v, want connected on the port without TLS", st)
	}
	if !strings.Contains(st.Message, "WITHOUT TLS") || !strings.Contains(st.Message, ":"+strconv.Itoa(closedPort)) {
		t.Errorf("connected state %q, want it to say it is without TLS, and why (port %d)", st.Message, closedPort)
	}
	if err := bob.conn.Privmsg("pat", "in plain text?"); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool {
		return ev.LoginId == login.LoginId && ev.ChatId == "bob" && ev.GetMessage().GetText() == "in plain text?"
	})

	untrusted := p.Login("", map[string]string{"server": "127.0.0.1", "port": strconv.Itoa(s.tlsPort), "tls": "on",
		"plain_ports": strconv.Itoa(s.port), "nick": "pia"})
	p.Connect(untrusted.LoginId, untrusted.SavedState)
	if st := stateOf(untrusted.LoginId); st.State == pb.LoginState_LOGIN_STATE_CONNECTED || !strings.Contains(st.Message, "not trusted") {
		t.Errorf("login state %v, want not connected, the certificate not trusted", st)
	}

	unasked := p.Login("", map[string]string{"server": "127.0.0.1", "port": strconv.Itoa(closedPort), "tls": "on", "nick": "pim"})
	p.Connect(unasked.LoginId, unasked.SavedState)
	if st := stateOf(unasked.LoginId); st.State == pb.LoginState_LOGIN_STATE_CONNECTED {
		t.Errorf("login state %v, want not connected: it lists no port without TLS", st)
	}
}

// The form refuses ports without TLS on a login with TLS off (its ports
// are all without TLS), a port in both lists, and one that is no port;
// it keeps them in the saved state.
func TestPlainPortsForm(t *testing.T) {
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	ctx, cancel := p.CallContext()
	defer cancel()
	submit := func(f map[string]string) *pb.LoginStep {
		t.Helper()
		step, err := p.Client().StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID})
		if err != nil {
			t.Fatal(err)
		}
		if step, err = p.Client().SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: f}); err != nil {
			t.Fatal(err)
		}
		return step
	}
	for _, tc := range []struct{ tls, port, plain, says string }{
		{"off", "6667", "6668", "TLS off"},
		{"on", "6697, 7000", "6667 7000", "7000"},
		{"on", "6697", "x", `"x"`},
	} {
		step := submit(map[string]string{"server": "irc.example.org", "tls": tc.tls, "port": tc.port, "plain_ports": tc.plain, "nick": "tess"})
		if step.GetForm() == nil || !strings.Contains(step.Error, tc.says) {
			t.Errorf("TLS %s, ports %q, without TLS %q: %v, want the form again saying %s", tc.tls, tc.port, tc.plain, step, tc.says)
		}
	}
	step := submit(map[string]string{"server": "irc.example.org", "tls": "on", "plain_ports": "6667, 6665 6667", "nick": "tess"})
	if st := string(step.GetComplete().GetSavedState()); !strings.Contains(st, `"port":6697`) || !strings.Contains(st, `"plain_ports":[6667,6665]`) {
		t.Errorf("saved state %s, want port 6697, then 6667 and 6665 without TLS", st)
	}
}
