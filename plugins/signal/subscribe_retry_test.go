package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A subscription signal-cli refuses for a passing trouble (its store's
// IOException, a timeout) is asked again on the same connection: the
// session does not stay unsubscribed, receiving nothing and failing every
// command, until the daemon happens to restart. Once subscribed, it is
// subscribed once: a message comes once.
func TestSubscribeRetried(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	d.Crash()
	s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT)
	d.FailNext("subscribeReceive", -3, "Failed to subscribe: java.io.IOException: Connection reset")
	d.FailNext("subscribeReceive", -32603, "Failed to subscribe: TimeoutException")
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("while unsubscribed")}})
	if err := d.Restart(); err != nil {
		t.Fatal(err)
	}
	if st := s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT); st.Message == "" {
		t.Error("no word of the refused subscription")
	}
	s.state(pb.LoginState_LOGIN_STATE_CONNECTED)
	s.next(isText("while unsubscribed"))
	if res := s.do(bob, &pb.SendMessage{Text: "subscribed again"}); res.Error != nil {
		t.Fatalf("send: %v", res.Error)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("once")}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("marker")}})
	s.next(isText("once"))
	if ev := s.next(func(ev *pb.Event) bool { return isText("once")(ev) || isText("marker")(ev) }); !isText("marker")(ev) {
		t.Fatalf("a message came twice: %v", ev)
	}
}
