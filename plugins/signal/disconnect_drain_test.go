package signal_test

import (
	"fmt"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// signal-cli hands an envelope over once: what it sent before the session
// disconnects (the user's relogin, an admin's disconnect) is read and
// told, not dropped with the connection while still waiting its turn.
func TestDisconnectLosesNothing(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	const n = 200
	for i := range n {
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text(fmt.Sprintf("backlog %d", i))}})
	}
	ctx, cancel := s.p.CallContext()
	defer cancel()
	if _, err := s.p.Client().Disconnect(ctx, &pb.LoginRef{LoginId: s.loginID}); err != nil {
		t.Fatal(err)
	}
	// Each told, in order, during the disconnection.
	for i := range n {
		s.next(isText(fmt.Sprintf("backlog %d", i)))
	}
	s.connect(s.saved) // the relogin's Connect
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("after the relogin")}})
	s.next(isText("after the relogin"))
}
