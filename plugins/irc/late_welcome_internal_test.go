package irc

import (
	"testing"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"
	pb "passerelle.im/passerelle/plugins/proto"
)

// The end of a MOTD that a connection reads after the user quit
// (Disconnect: the session has no connection; the server sent it before
// it read the QUIT) does not say the login is connected, nor mark it
// up: that connection is going. Before, the connect callback ran with
// no connection, joined the channels on the quitting connection and
// said "connected" after the user disconnected.
func TestLateEndOfMOTDAfterQuitNotConnected(t *testing.T) {
	h := &stateHost{}
	s := newSession(&Network{host: h}, "kit@irc.test:6667/x", Account{Nick: "kit", Server: "irc.test", Port: 6667})
	c := &ircevent.Connection{}
	s.handle(c) // c was the session's; Disconnect left none
	m, err := ircmsg.ParseLine(":srv 376 kit :End of MOTD command")
	if err != nil {
		t.Fatal(err)
	}
	c.HandleMessage(m)
	s.mu.Lock()
	up := s.up
	s.mu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, st := range h.states {
		if st.State == pb.LoginState_LOGIN_STATE_CONNECTED {
			t.Errorf("a quitting connection's end of MOTD said %q", st.Message)
		}
	}
	if up {
		t.Error("a quitting connection's end of MOTD marked the login up")
	}
}
