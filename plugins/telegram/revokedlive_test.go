package telegram

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A session terminated from another device while connected (Settings,
// Devices, Terminate): Telegram answers its next request
// AUTH_KEY_UNREGISTERED. The login then says it is logged out, as at a
// connection, rather than stay "connected" with every command failing.
func TestRevokedWhileConnected(t *testing.T) {
	srv := newFake(t)
	s, h, _, _ := connectAlice(t, srv)
	srv.Revoke(alice.ID)
	from := h.count()
	if _, err := s.ContactList(ctxT(t)); err == nil {
		t.Fatal("the contact list of a terminated session: no error")
	}
	ev := h.wait(t, from, "logged-out state", func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_LOGGED_OUT
	})
	if !strings.Contains(ev.GetLoginState().Message, "log in again") {
		t.Errorf("message %q", ev.GetLoginState().Message)
	}
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	n := 0
	h.mu.Lock()
	for _, ev := range h.events[from:] {
		if ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_LOGGED_OUT {
			n++
		}
	}
	h.mu.Unlock()
	if n != 1 {
		t.Errorf("%d logged-out states, want one", n)
	}
}
