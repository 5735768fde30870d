package irc_test

import (
	"slices"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// The login's commands after connecting (biboumi's after-connect
// commands: QuakeNet's AUTH to Q, a MODE +x cloak) go at each
// connection after the welcome, before the channels' JOINs, as typed,
// a leading "/" left out and ";;" a ";" within one. Before, there was
// no such field, and a network whose services take no NickServ
// IDENTIFY could not be logged in to.
func TestCommandsAfterConnecting(t *testing.T) {
	srv := startScripted(t, "", "")
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	f := srv.fields("ned")
	f["channels"] = "#a"
	f["commands"] = "MODE ned +x ; /PRIVMSG Q@CServe.quakenet.org :AUTH ned pa;;ss"
	login := p.Login("", f)
	p.Connect(login.LoginId, login.SavedState)
	srv.got("JOIN")
	srv.mu.Lock()
	lines := slices.Clone(srv.lines)
	srv.mu.Unlock()
	at := func(prefix string) int {
		return slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, prefix) })
	}
	mode, auth, join := at("MODE ned +x"), at("PRIVMSG Q@CServe.quakenet.org :AUTH ned pa;ss"), at("JOIN")
	if mode < 0 || auth < 0 || !(mode < auth && auth < join) {
		t.Errorf("lines %q: want MODE ned +x, then the AUTH, then the JOIN", lines)
	}
}

// A QUIT among them would end each connection, made again for ever: the
// form refuses it.
func TestCommandsAfterConnectingNoQuit(t *testing.T) {
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	ctx, cancel := p.CallContext()
	defer cancel()
	step, err := p.Client().StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID})
	if err != nil {
		t.Fatal(err)
	}
	f := map[string]string{"server": "127.0.0.1", "port": "6667", "tls": "off", "nick": "ned", "commands": "MODE ned +x; /quit :bye"}
	step, err = p.Client().SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: f})
	if err != nil {
		t.Fatal(err)
	}
	if step.GetComplete() != nil || !strings.Contains(step.GetError(), "QUIT") {
		t.Errorf("login with a QUIT after connecting: %v, want the form again saying why", step)
	}
}

// The login's real name is USER's last parameter (shown in WHOIS);
// before, it was always the nick.
func TestRealName(t *testing.T) {
	srv := startScripted(t, "", "")
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	f := srv.fields("ned")
	f["realname"] = " Ned Flanders "
	login := p.Login("", f)
	p.Connect(login.LoginId, login.SavedState)
	if got := srv.got("USER"); got != "USER ned s e :Ned Flanders" {
		t.Errorf("sent %q, want the real name Ned Flanders", got)
	}
}
