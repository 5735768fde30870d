package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

// TestPartlySentRetractable: a message that went to the network only in
// part (the plugin answers with its message and an error) gets the error,
// with the plugin's words, and yet is mapped: its retraction reaches the
// network, which retracts the part that went. Before, the answer's
// message was dropped with its error, and the retraction of what the
// contact had was refused as of an unknown message.
func TestPartlySentRetractable(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	echoID(t, alice, "p1", "partly hi")
	if e := next(t, alice, "error", func(s xmpptest.Stanza) bool { return s.Type == "error" }); e.ID != "p1" || e.Err.Text != echo.PartlyFailed {
		t.Fatalf("partly sent: %s, want the plugin's error for p1", e.XML)
	}
	raw(t, alice, `<message type='chat' id='x1' to='bob@`+domain+`'><retract xmlns='urn:xmpp:message-retract:1' id='p1'/><body>retracted</body></message>`)
	x := next(t, alice, "retraction or error", func(s xmpptest.Stanza) bool {
		return s.Type == "error" || strings.Contains(s.XML, "urn:xmpp:message-retract:1")
	})
	if x.Type == "error" || !strings.Contains(x.XML, "<retract") {
		t.Fatalf("retracting what went: %s, want the network's retraction", x.XML)
	}
}

// TestRoomPartlySent: in a room, a message that went only in part is
// reflected, as the members have it, with its stanza-id, then the error
// follows under its id; a resend is told it went in part; its retraction
// goes to the network and is reflected.
func TestRoomPartlySent(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	id := groupchat(t, alice, "partly there")
	own := roomMessage(t, alice, self, "partly there")
	if own.ID != id {
		t.Fatalf("reflection %s, want the id %s", own.XML, id)
	}
	e, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Type == "error" })
	if err != nil || e.ID != id || e.Err.Text != echo.PartlyFailed {
		t.Fatalf("partly sent in the room: %v %s, want the plugin's error for %s", err, e.XML, id)
	}
	// Sent again (the client offers it after the error): told it went
	// in part, not taken as sent (TestPartlySentResendTold).
	if err := alice.SendRaw(ctxT(t), `<message type='groupchat' id='`+id+`' to='`+room+`'><body>partly there</body><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`); err != nil {
		t.Fatal(err)
	}
	e, err = alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Type == "error" })
	if err != nil || e.ID != id || e.Err.Condition != "conflict" {
		t.Fatalf("resend of a message that went in part in the room: %v %s, want a conflict", err, e.XML)
	}
	if err := alice.SendRaw(ctxT(t), `<message type='groupchat' id='x1' to='`+room+`'><retract xmlns='urn:xmpp:message-retract:1' id='`+stanzaID(t, own)+`'/></message>`); err != nil {
		t.Fatal(err)
	}
	x, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Type == "error" || s.From == room+"/"+self && strings.Contains(s.XML, "urn:xmpp:message-retract:1")
	})
	if err != nil || x.Type == "error" {
		t.Fatalf("retracting what went in the room: %v %s, want its reflection", err, x.XML)
	}
}

// TestHeldPartlySent: a message recorded on its way to a plugin the
// gateway stopped with, sent at the next start and answered as sent in
// part, gets the error and is mapped as a live one is: its retraction
// reaches the network.
func TestHeldPartlySent(t *testing.T) {
	s, _ := heldStack(t)
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	s.holdPlugin()
	id := sendChat(t, alice, "bob@"+domain, "partly held")
	s.logs.waitLog(t, `msg="message on its way to the plugin recorded" transport=echo login=alice txn=`+id+"\n", timeout)
	s.stop()
	s.start()
	s.waitGateway(alice)
	if e := next(t, alice, "error", func(s xmpptest.Stanza) bool { return s.Type == "error" }); e.ID != id || e.Err.Text != echo.PartlyFailed {
		t.Fatalf("partly sent after a restart: %s, want the plugin's error for %s", e.XML, id)
	}
	raw(t, alice, `<message type='chat' id='x1' to='bob@`+domain+`'><retract xmlns='urn:xmpp:message-retract:1' id='`+id+`'/><body>retracted</body></message>`)
	x := next(t, alice, "retraction or error", func(s xmpptest.Stanza) bool {
		return s.Type == "error" || strings.Contains(s.XML, "urn:xmpp:message-retract:1")
	})
	if x.Type == "error" {
		t.Fatalf("retracting what went: %s, want the network's retraction", x.XML)
	}
}

// TestPartlySentResendTold: a client offers to send again a message that
// got an error; a resend of one that went in part is answered that it
// did, with nothing sent twice, whether it is recognised by its origin-id
// or by its plain id. Before, it was taken as sent without a word, and
// the client showed it as sent, the part that failed lost.
func TestPartlySentResendTold(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	for _, m := range []struct{ id, body, stanza string }{
		{"p1", "partly one", `<message type='chat' id='p1' to='bob@` + domain + `'><body>partly one</body><origin-id xmlns='urn:xmpp:sid:0' id='p1'/></message>`},
		{"q1", "partly two", `<message type='chat' id='q1' to='bob@` + domain + `'><body>partly two</body></message>`},
	} {
		raw(t, alice, m.stanza)
		next(t, alice, "echo of "+m.body, func(s xmpptest.Stanza) bool { return s.Body == m.body })
		if e := next(t, alice, "error", func(s xmpptest.Stanza) bool { return s.Type == "error" }); e.ID != m.id || e.Err.Text != echo.PartlyFailed {
			t.Fatalf("partly sent: %s, want the plugin's error for %s", e.XML, m.id)
		}
		raw(t, alice, m.stanza)
		e := next(t, alice, "the resend's answer", func(s xmpptest.Stanza) bool { return s.Type == "error" })
		if e.ID != m.id || e.Err.Condition != "conflict" || !strings.Contains(e.Err.Text, "only in part") {
			t.Fatalf("resend of %s: %s, want a conflict saying it went in part", m.id, e.XML)
		}
	}
	echoOK(t, alice, "barrier", timeout)
	for _, st := range alice.Pending() {
		if strings.Contains(st.Body, "partly") {
			t.Errorf("a resend went to the network again: %s", st.XML)
		}
	}
}
