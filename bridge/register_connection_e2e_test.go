package bridge_test

import (
	"context"
	"strings"
	"testing"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

// An in-band registration (XEP-0077) is answered as the login command
// is: once the network said how the login's connection went, at most
// the command's answer budget (20 s) after the request. Before, its
// result came as soon as the login was stored, a refusal then told only
// by a chat notice and the gateway's presence.

// registerWaiting is register with the wait of a registration whose
// connection takes past the answer budget.
func registerWaiting(t *testing.T, c *xmpptest.Client, username string) xmpptest.Stanza {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), connectWait)
	defer cancel()
	st, err := c.IQ(ctx, `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:register'><username>`+username+`</username></query></iq>`)
	if err != nil {
		t.Fatalf("register %s: %v", username, err)
	}
	return st
}

// TestRegisterSaysConnection: alice's registration the network refuses
// at its connection is answered not-authorized with the network's
// reason; the login is not taken as one in use (the form comes again),
// and her registration with other credentials succeeds. Carol's, whose
// network cannot be reached, is remote-server-timeout with the reason.
// Bob's, whose
// network says CONNECTED past the budget (echo's +dawdle), is answered
// a result at the budget, a chat message telling later that it
// connected. Before, alice's registration was answered a result.
func TestRegisterSaysConnection(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice, bob, carol := s.user("alice"), s.user("bob"), s.user("carol")
	s.waitGateway(alice)
	s.waitGateway(bob)
	s.waitGateway(carol)

	bobUser := "bob" + echo.DawdleMark
	bobDone := make(chan xmpptest.Stanza, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), connectWait)
		defer cancel()
		st, err := bob.IQ(ctx, `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:register'><username>`+bobUser+`</username></query></iq>`)
		if err != nil {
			t.Errorf("bob's registration: %v", err)
		}
		bobDone <- st
	}()

	st := registerWaiting(t, alice, "alice"+echo.RefusedMark)
	if st.Type != "error" || !strings.Contains(st.XML, "not-authorized") || !strings.Contains(st.XML, echo.RefusedReason) {
		t.Errorf("the registration the network refused: %s", st.XML)
	}
	form, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='jabber:iq:register'/></iq>`)
	if err != nil || form.Type != "result" || strings.Contains(form.XML, "<registered") || !strings.Contains(form.XML, "username") {
		t.Errorf("the form after a refused registration: %v %s", err, form.XML)
	}
	if st := registerWaiting(t, alice, "alice"); st.Type != "result" {
		t.Errorf("the registration after the refusal: %s", st.XML)
	}

	// Not reached: the gateway keeps trying, the registration says why.
	st = registerWaiting(t, carol, "carol"+echo.UnreachableMark)
	if st.Type != "error" || !strings.Contains(st.XML, "remote-server-timeout") || !strings.Contains(st.XML, echo.UnreachableReason) {
		t.Errorf("the registration the network could not reach: %s", st.XML)
	}

	if st := <-bobDone; st.Type != "result" {
		t.Errorf("bob's registration past the budget: %s", st.XML)
	}
	said := untilLoggedIn(t, bob, domain)
	if got := said[len(said)-1]; got != "You are logged in to Echo as "+bobUser+". Connected." {
		t.Errorf("bob's chat after the registration: %q", got)
	}
}
