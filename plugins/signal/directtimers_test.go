package signal_test

import (
	"slices"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Messages sent from XMPP into a direct chat read its disappearing
// messages timer once, not at each send: listContacts naming the
// contact has signal-cli fetch their profile from Signal's servers, a
// request to Signal per message before. A change of the timer (the
// contact's update) is read again.
func TestDirectTimerReadOnce(t *testing.T) {
	d, _ := startFake(t)
	d.SetContacts(alice, fakesignal.Contact{Number: bob, UUID: bobACI, Name: "Bob", Timer: 24 * hour})
	s := newSession(t, d)
	// The reads naming bob alone: the group's members are read once
	// too (membernames.go).
	reads := func() int {
		n := 0
		for _, r := range d.Requests(alice) {
			if r.Method == "listContacts" && slices.Equal(anyStrings(r.Params["recipient"]), []string{bob}) {
				n++
			}
		}
		return n
	}
	send := func(text string, secs int) {
		t.Helper()
		res := s.do(bob, &pb.SendMessage{Text: text})
		req, _ := lastRequest(d, "send")
		if res.Error != nil || res.ExpiresUnixMicro != (req.Timestamp+int64(secs)*1000)*1000 {
			t.Fatalf("send %q: %v, want a %d s timer", text, res, secs)
		}
	}
	before := reads()
	for _, text := range []string{"one", "two", "three"} {
		send(text, 24*hour)
	}
	if n := reads() - before; n != 1 {
		t.Errorf("%d reads of bob for three messages, want 1", n)
	}

	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, ExpiresInSeconds: 300, IsExpirationUpdate: true}})
	s.nextNotice()
	send("after the change", 300)
	send("again", 300)
	if n := reads() - before; n != 2 {
		t.Errorf("%d reads of bob, want 2 (one more after the change)", n)
	}
}
