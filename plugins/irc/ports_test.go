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
