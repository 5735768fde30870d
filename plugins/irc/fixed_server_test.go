package irc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/irc"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// The transport's fixed_server, as biboumi's fixed_irc_server, is the
// one server its logins reach: the login form has it as its server, so
// a login without one connects there (ngircd); another server is
// refused by the form, and a login saved with another (made before the
// admin set it) is refused at Connect, bad credentials naming the
// server, before anything is sent. Before, there was no such setting:
// an admin could not keep the gateway's users to their own server, and
// the config key failed the transport's start.
func TestFixedServer(t *testing.T) {
	s := startNgircd(t)
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", []byte(`{"fixed_server":"127.0.0.1."}`))
	evs := p.Events()
	ctx, cancel := p.CallContext()
	defer cancel()
	step, err := p.Client().StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range step.GetForm().GetFields() {
		if f.Id == "server" && (f.Required || f.DefaultValue != "127.0.0.1") {
			t.Errorf("the server field %v, want 127.0.0.1 as its default, not required", f)
		}
	}
	step, err = p.Client().SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId,
		Fields: map[string]string{"server": "localhost", "port": strconv.Itoa(s.port), "tls": "off", "nick": "fay"}})
	if err != nil {
		t.Fatal(err)
	}
	if step.GetForm() == nil || !strings.Contains(step.Error, "only to 127.0.0.1") {
		t.Errorf("another server: %v, want the form again saying the gateway connects only to 127.0.0.1", step)
	}

	login := p.Login("", map[string]string{"port": strconv.Itoa(s.port), "tls": "off", "nick": "fay"})
	p.Connect(login.LoginId, login.SavedState)
	if st := loginState(evs); st.State != pb.LoginState_LOGIN_STATE_CONNECTED || !strings.Contains(st.Message, "127.0.0.1") {
		t.Fatalf("login state %v, want connected to 127.0.0.1", st)
	}

	old, _ := json.Marshal(map[string]any{"server": "localhost", "port": s.port, "tls": false, "nick": "gus"})
	id := fmt.Sprintf("gus@localhost:%d/x", s.port)
	p.Connect(id, old)
	st := evs.NextEvent(func(ev *pb.Event) bool {
		return ev.LoginId == id && ev.GetLoginState().GetState() != pb.LoginState_LOGIN_STATE_CONNECTING
	}).GetLoginState()
	if st.State != pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS || !strings.Contains(st.Message, "only to 127.0.0.1") {
		t.Errorf("a login saved with another server: %v, want bad credentials naming 127.0.0.1", st)
	}
}

// A fixed_server that is no host name (a port, a URL) stops the
// transport at start, naming it.
func TestFixedServerRefused(t *testing.T) {
	for _, v := range []string{"irc.example.org:6697", "ircs://irc.example.org", "irc example"} {
		cfg, _ := json.Marshal(map[string]string{"fixed_server": v})
		_, err := irc.New().Init(context.Background(), sdk.InitRequest{ConfigJSON: cfg}, logHost{})
		if err == nil || !strings.Contains(err.Error(), "fixed_server") || !strings.Contains(err.Error(), v) {
			t.Errorf("fixed_server %q: %v, want an error naming it", v, err)
		}
	}
	for _, v := range []string{"irc.example.org", "::1", "127.0.0.1"} {
		cfg, _ := json.Marshal(map[string]string{"fixed_server": v})
		if _, err := irc.New().Init(context.Background(), sdk.InitRequest{ConfigJSON: cfg}, logHost{}); err != nil {
			t.Errorf("fixed_server %q: %v", v, err)
		}
	}
}
