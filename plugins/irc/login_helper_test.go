package irc_test

import (
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// loginConnected starts the plugin with conf (nil: none), logs in with
// the login form's fields and connects, until the login is connected:
// the start most tests share, whatever the server (scripted, ngircd,
// ergo).
func loginConnected(t *testing.T, conf []byte, fields map[string]string) (*plugintest.Plugin, *plugintest.EventStream, *pb.CompleteStep) {
	t.Helper()
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", conf)
	evs := p.Events()
	login := p.Login("", fields)
	p.Connect(login.LoginId, login.SavedState)
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
	return p, evs, login
}
