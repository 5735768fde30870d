package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

const (
	hour = 3600
	week = 7 * 24 * hour
)

// A message received under a chat's disappearing messages timer
// disappears a timer's length after the user reads it, as Signal runs
// a recipient's timer: expires_after_read_seconds, no deadline. The
// timer's change itself is a notice that stays.
func TestDisappearingReceived(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)

	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, ExpiresInSeconds: week, IsExpirationUpdate: true}})
	if m := s.nextNotice().GetMessage(); m.GetExpiresAfterReadSeconds() != 0 || m.GetExpiresUnixMicro() != 0 {
		t.Fatalf("the timer's notice: %v, want it kept", m)
	}

	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("gone a week after you read it"), ExpiresInSeconds: week}})
	ev := s.nextNotice()
	if m := ev.GetMessage(); m.GetText() != "gone a week after you read it" || m.ExpiresAfterReadSeconds != week || m.ExpiresUnixMicro != 0 {
		t.Fatalf("a direct message under the timer: %v, want %d s after it is read", ev, week)
	}

	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("gone an hour after"), ExpiresInSeconds: hour, GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}}})
	ev = s.nextNotice()
	if m := ev.GetMessage(); ev.ChatId != group || m.GetText() != "gone an hour after" || m.ExpiresAfterReadSeconds != hour || m.ExpiresUnixMicro != 0 {
		t.Fatalf("a group message under the timer: %v, want %d s after it is read", ev, hour)
	}

	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("stays")}})
	if m := s.nextNotice().GetMessage(); m.GetText() != "stays" || m.ExpiresAfterReadSeconds != 0 || m.ExpiresUnixMicro != 0 {
		t.Fatalf("a message without a timer: %v", m)
	}
}

// What the user sends from the phone under a timer disappears a timer's
// length after it was sent, as Signal runs the sender's timer: its
// deadline is on the message's event.
func TestDisappearingFromPhone(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)

	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, Timestamp: at, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DestinationNumber: bob, DestinationUUID: bobACI,
			DataMessage: fakesignal.DataMessage{Timestamp: at, ExpiresInSeconds: hour, IsExpirationUpdate: true}}}})
	if m := s.nextNotice().GetMessage(); m.GetExpiresAfterReadSeconds() != 0 || m.GetExpiresUnixMicro() != 0 {
		t.Fatalf("the timer's notice: %v, want it kept", m)
	}

	at = d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, Timestamp: at, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DestinationNumber: bob, DestinationUUID: bobACI,
			DataMessage: fakesignal.DataMessage{Timestamp: at, Message: fakesignal.Text("from my phone"), ExpiresInSeconds: hour}}}})
	ev := s.nextNotice()
	if m := ev.GetMessage(); !ev.Sender.GetIsFromMe() || m.GetText() != "from my phone" ||
		m.ExpiresUnixMicro != (at+hour*1000)*1000 || m.ExpiresAfterReadSeconds != 0 {
		t.Fatalf("the user's message from the phone: %v, want it gone at %d", ev, (at+hour*1000)*1000)
	}
}

// A send from XMPP into a chat with a timer disappears a timer's length
// after it was sent: the timer is the one signal-cli keeps for the chat
// and adds to the send (the contact's, the group's), read at each send,
// so that a change by the contact counts at once.
func TestDisappearingSend(t *testing.T) {
	d, gid := startFake(t)
	d.SetContacts(alice, fakesignal.Contact{Number: bob, UUID: bobACI, Name: "Bob", Timer: 24 * hour},
		fakesignal.Contact{Number: carol, UUID: carolACI, Given: "Carol"})
	g, _ := d.GetGroup(alice, gid)
	g.Timer = week
	d.SetGroup(alice, g)
	s := newSession(t, d)

	// sent sends text to chat and checks the result's deadline against
	// the timer the fake added to the send.
	sent := func(chat, text string, secs int) {
		t.Helper()
		res := s.do(chat, &pb.SendMessage{Text: text})
		req, ok := lastRequest(d, "send")
		if res.Error != nil || !ok || req.Params["message"] != text {
			t.Fatalf("send %q: %v", text, res)
		}
		if req.ExpiresInSeconds != secs {
			t.Fatalf("send %q carried a %d s timer, want %d", text, req.ExpiresInSeconds, secs)
		}
		want := int64(0)
		if secs > 0 {
			want = (req.Timestamp + int64(secs)*1000) * 1000
		}
		if res.ExpiresUnixMicro != want {
			t.Fatalf("send %q: expires at %d, want %d (a %d s timer)", text, res.ExpiresUnixMicro, want, secs)
		}
	}
	sent(bob, "gone tomorrow", 24*hour)
	sent(hexGroup(gid), "gone next week", week)
	sent(carol, "stays", 0)

	// Bob turns the timer off, then to 5 minutes: signal-cli keeps each.
	for _, secs := range []int{0, 300} {
		at := d.Now()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
			Timestamp: at, ExpiresInSeconds: secs, IsExpirationUpdate: true}})
		s.nextNotice()
		sent(bob, "after the change", secs)
	}
}
