package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

// TestSendHandledAsCommand: a text the plugin runs as a command, not a
// message (IRC's "/mode +o bob"; the echo network's EchoCommand), is
// not reflected in the room as the user's message nor archived there;
// the command's reply comes to the resource that sent it, from the
// room, not stored. A command without a reply shows nothing. In a
// one-to-one chat, the reply comes from the contact. Before, the room
// reflected the command as a message no member had read, and its reply
// was lost.
func TestSendHandledAsCommand(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	// answer waits for the gateway's message from from with body.
	answer := func(from, typ, body string) {
		t.Helper()
		st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "message" && (s.From == from || bareJID(s.From) == from) && s.Body == body
		})
		if err != nil {
			t.Fatalf("no %q from %s: %v; pending %v", body, from, err, alice.Pending())
		}
		if st.From != from || st.Type != typ || st.To != alice.JID().String() || !strings.Contains(st.XML, `<no-store xmlns="urn:xmpp:hints"`) {
			t.Errorf("the command's reply: %s, want a %s message from %s to %s, not stored", st.XML, typ, from, alice.JID())
		}
	}
	self := nick(join(t, alice, "a", "").self.From)
	groupchat(t, alice, echo.EchoCommand+" #echo +nt")
	answer(room, "groupchat", "#echo +nt")
	groupchat(t, alice, echo.EchoCommand)
	groupchat(t, alice, "after the commands")
	roomMessage(t, alice, self, "after the commands")
	for _, st := range alice.Pending() {
		if st.Type == "error" || strings.HasPrefix(st.Body, echo.EchoCommand) {
			t.Errorf("a command went wrong or was reflected: %s", st.XML)
		}
	}
	var bodies []string
	for _, m := range queryMAM(t, alice, room, "").msgs {
		bodies = append(bodies, m.Result.Forwarded.Message.Body)
	}
	if strings.Contains(strings.Join(bodies, "\n"), echo.EchoCommand) || !strings.Contains(strings.Join(bodies, "\n"), "after the commands") {
		t.Errorf("the room's archive holds %q: want the message, not the commands", bodies)
	}

	bob := "bob@" + domain
	raw(t, alice, `<message type='chat' id='c1' to='`+bob+`'><body>`+echo.EchoCommand+` you have +i</body><origin-id xmlns='urn:xmpp:sid:0' id='c1'/></message>`)
	answer(bob, "chat", "you have +i")
	echoID(t, alice, "c2", "after the command")
	for _, st := range alice.Pending() {
		if st.Type == "error" || strings.Contains(st.Body, echo.EchoCommand) {
			t.Errorf("the command went wrong or was echoed: %s", st.XML)
		}
	}
}

// TestHeldCommandAnswered: a command recorded on its way to a plugin the
// gateway stopped with, run at the next start, gets its reply from the
// contact as a live one does. Before, the replay took the answer for a
// message's and the reply was lost.
func TestHeldCommandAnswered(t *testing.T) {
	s, _ := heldStack(t)
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	s.holdPlugin()
	id := sendChat(t, alice, "bob@"+domain, echo.EchoCommand+" held reply")
	s.logs.waitLog(t, `msg="message on its way to the plugin recorded" transport=echo login=alice txn=`+id+"\n", timeout)
	s.stop()
	s.start()
	s.waitGateway(alice)
	if r := next(t, alice, "the command's reply", func(s xmpptest.Stanza) bool { return s.Type == "error" || s.Body == "held reply" }); r.Type != "chat" {
		t.Fatalf("the held command: %s, want its reply", r.XML)
	}
}
