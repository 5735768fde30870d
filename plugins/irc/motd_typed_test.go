package irc_test

import (
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// MOTD typed in the server's chat is answered there, and is no second
// registration: irc-go runs its connect callbacks at every end of a
// MOTD (376, 422), and the plugin took the answer for a new connection,
// sending the commands after connecting again (an OPER, a NickServ
// IDENTIFY: their passwords once more), forgetting the channels'
// members and saying the login connected again.
func TestMOTDTypedIsNoRegistration(t *testing.T) {
	s := startNgircd(t)
	bob := newClient(t, s, "bob")
	bob.join("#a")
	f := loginFields(s, "ned", "#a")
	f["commands"] = "PRIVMSG bob :after connecting"
	p, evs, login := loginConnected(t, nil, f)
	bob.await("PRIVMSG", "after connecting")
	for _, cmd := range []string{"MOTD", "MOTD nowhere.invalid"} {
		if res := p.Commands().Send(plugintest.SendText(login.LoginId, "127.0.0.1", "", cmd)); res.Error != nil {
			t.Fatalf("%s to the server: %v", cmd, res.Error)
		}
	}
	var states []string
	evs.NextEvent(func(ev *pb.Event) bool {
		if st := ev.GetLoginState(); st != nil {
			states = append(states, st.String())
		}
		return ev.ChatId == "127.0.0.1" && strings.Contains(ev.GetMessage().GetText(), "passerelle test server")
	})
	// A line after the answers, which the server relays after them.
	if res := p.Commands().Send(plugintest.SendText(login.LoginId, "bob", "", "after MOTD")); res.Error != nil {
		t.Fatal(res.Error)
	}
	timer := time.NewTimer(plugintest.Timeout)
	defer timer.Stop()
	for {
		select {
		case m := <-bob.got:
			if m.Command == "PRIVMSG" && m.Params[len(m.Params)-1] == "after connecting" {
				t.Errorf("the commands after connecting sent again after MOTD was typed")
			}
			if m.Command != "PRIVMSG" || m.Params[len(m.Params)-1] != "after MOTD" {
				continue
			}
		case <-timer.C:
			t.Fatal("bob never got the message after MOTD")
		}
		break
	}
	// bob's answer comes after whatever the plugin made of the MOTD.
	if err := bob.conn.Privmsg("ned", "bob after"); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool {
		if st := ev.GetLoginState(); st != nil {
			states = append(states, st.String())
		}
		return ev.GetMessage().GetText() == "bob after"
	})
	if len(states) > 0 {
		t.Errorf("login states after MOTD was typed: %q, want none", states)
	}
}
