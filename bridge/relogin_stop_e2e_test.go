package bridge_test

import (
	"testing"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

// TestMessageWaitingForReloginKeptAcrossStop: a message read while the
// login is away for a relogin waits for it in its chat's worker; the
// gateway stopped meanwhile keeps its record, and the next start sends
// it (echoed). Before, the wait ended by the stop answered with an
// error the ended link never sent, and the record was forgotten: the
// message was lost without a word.
func TestMessageWaitingForReloginKeptAcrossStop(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	echoOK(t, alice, echo.HoldRelogin, timeout)
	heldRelogin(t, s, alice)
	raw(t, alice, `<message type='chat' id='w1' to='bob@`+domain+`'><body>waited</body><origin-id xmlns='urn:xmpp:sid:0' id='w1'/></message>`)
	// In its worker, waiting for the relogin (recorded as read first).
	s.logs.waitLog(t, `to=bob@`+domain+` id=w1`, timeout)
	s.logs.waitLog(t, `msg="message read recorded" transport=echo login=alice id=w1`, timeout)
	s.stop()
	s.start()
	st, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && (st.ID == "w1" && st.Type == "error" || bareJID(st.From) == "bob@"+domain && st.Body == "waited")
	})
	if err != nil {
		t.Fatalf("the message waiting for the relogin at the stop was never sent nor refused: %v", err)
	}
	if st.Type == "error" {
		t.Errorf("the message waiting for the relogin at the stop was refused: %s", st.XML)
	}
}
