package bridge_test

import (
	"testing"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

// TestReplayRefusedAtStopTold: a message held when the gateway stopped
// is sent again at the next start; the network refuses it late, while
// the gateway stops again (in the stop's wait for the commands in
// flight): its error still reaches the user, once. It was sent with the
// stop's ended context, dropped, and the message's record deleted: the
// user never heard of it (TestRefusedAtStopTold is the live message's).
func TestReplayRefusedAtStopTold(t *testing.T) {
	s, plugin := heldStack(t)
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	nobody := echo.NoSuchContact + "@" + domain

	var id string
	killWhileHeld(t, s, plugin, func() []string {
		id = sendChat(t, alice, nobody, "slow to no one") // refused SlowConfirm late
		return []string{id}
	})
	s.logs.waitLog(t, `msg="sending a message held when the gateway stopped"`, timeout)
	s.stop() // the refusal comes in its wait for the commands in flight
	s.start()
	s.waitGateway(alice)

	isErr := func(st xmpptest.Stanza) bool { return st.Name == "message" && st.Type == "error" && st.ID == id }
	pending := func() (n int) {
		for _, st := range alice.Pending() {
			if isErr(st) {
				n++
			}
		}
		return n
	}
	n := 0
	if pending() == 0 {
		if _, err := alice.Next(ctxT(t), isErr); err != nil { // taken off the queue
			t.Fatalf("the replayed message's refusal never came: %v", err)
		}
		n = 1
	}
	echoOK(t, alice, "after", timeout)
	if n += pending(); n != 1 {
		t.Errorf("the error came %d times, want once", n)
	}
}
