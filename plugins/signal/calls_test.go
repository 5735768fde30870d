package signal_test

import (
	"time"

	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// callFrom delivers to alice a call message of bob.
func callFrom(d *fakesignal.Daemon, c fakesignal.CallMessage) int64 {
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob", Timestamp: at, CallMessage: &c})
	return at
}

// nextNotice waits for the next message or correction, skipping the
// rest (contacts, receipts).
func (s *session) nextNotice() *pb.Event {
	s.t.Helper()
	return s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil || ev.GetEdit() != nil })
}

// A call offer shows as a message from the caller that it rings; a
// hangup before anyone answered corrects it to a missed call, and one
// answered on the phone stays as it was. Call IDs above 2^63 (signal-cli
// writes them unsigned) are kept whole, and a replayed offer is the same
// event.
func TestCalls(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)

	const big = uint64(18446744073709551615)
	at := callFrom(d, fakesignal.CallMessage{OfferMessage: &fakesignal.CallOffer{ID: big, Type: "AUDIO_CALL", Opaque: "b2ZmZXI="}})
	ev := s.nextNotice()
	if ev.GetMessage().GetText() != "Incoming voice call: answer it on your phone" || ev.ChatId != bob ||
		ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT || ev.Sender.GetUserId() != bob || ev.Sender.IsFromMe ||
		ev.EventId != "call-18446744073709551615" || ev.TimestampUnixMicro != at*1000 {
		t.Fatalf("offer: %v", ev)
	}
	callFrom(d, fakesignal.CallMessage{IceUpdateMessages: []fakesignal.CallICE{{ID: big, Opaque: "aWNl"}}})
	// The same offer again (signal-cli does not, but a replay would).
	callFrom(d, fakesignal.CallMessage{OfferMessage: &fakesignal.CallOffer{ID: big, Type: "AUDIO_CALL", Opaque: "b2ZmZXI="}})
	at = callFrom(d, fakesignal.CallMessage{HangupMessage: &fakesignal.CallHangup{ID: big, Type: "NORMAL"}})
	ev = s.nextNotice()
	if ed := ev.GetEdit(); ed.GetTargetId() != "call-18446744073709551615" || ed.Text != "Missed voice call" ||
		ev.ChatId != bob || ev.Sender.GetUserId() != bob || ev.EventId == "" || ev.TimestampUnixMicro != at*1000 {
		t.Fatalf("hangup before an answer: %v, want a correction to a missed call", ev)
	}

	// A video call answered on the phone: it rings no more, and its
	// hangups change nothing.
	callFrom(d, fakesignal.CallMessage{OfferMessage: &fakesignal.CallOffer{ID: 7, Type: "VIDEO_CALL"}})
	if ev := s.nextNotice(); ev.GetMessage().GetText() != "Incoming video call: answer it on your phone" || ev.EventId != "call-7" {
		t.Fatalf("video offer: %v", ev)
	}
	callFrom(d, fakesignal.CallMessage{HangupMessage: &fakesignal.CallHangup{ID: 7, Type: "ACCEPTED", DeviceID: 1}})
	if ev := s.nextNotice(); ev.GetEdit().GetTargetId() != "call-7" || ev.GetEdit().GetText() != "Video call, answered on your phone" || ev.EventId != "call-7-answered" {
		t.Fatalf("answered on the phone: %v, want a correction", ev)
	}
	callFrom(d, fakesignal.CallMessage{HangupMessage: &fakesignal.CallHangup{ID: 7, Type: "NORMAL"}})
	// A hangup of a call not seen shows nothing either.
	callFrom(d, fakesignal.CallMessage{HangupMessage: &fakesignal.CallHangup{ID: 99, Type: "NORMAL"}})

	// Busy, and declined on another device: missed.
	callFrom(d, fakesignal.CallMessage{OfferMessage: &fakesignal.CallOffer{ID: 8, Type: "VIDEO_CALL"}})
	if ev := s.nextNotice(); ev.EventId != "call-8" {
		t.Fatalf("third offer: %v, want call-8 (nothing of the calls before it)", ev)
	}
	callFrom(d, fakesignal.CallMessage{BusyMessage: &fakesignal.CallBusy{ID: 8}})
	if ev := s.nextNotice(); ev.GetEdit().GetTargetId() != "call-8" || ev.GetEdit().GetText() != "Missed video call" {
		t.Fatalf("busy: %v", ev)
	}
	callFrom(d, fakesignal.CallMessage{OfferMessage: &fakesignal.CallOffer{ID: 9, Type: "AUDIO_CALL"}})
	s.nextNotice()
	callFrom(d, fakesignal.CallMessage{HangupMessage: &fakesignal.CallHangup{ID: 9, Type: "DECLINED", DeviceID: 2}})
	if ev := s.nextNotice(); ev.GetEdit().GetTargetId() != "call-9" || ev.GetEdit().GetText() != "Missed voice call" {
		t.Fatalf("declined: %v", ev)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("marker")}})
	if ev := s.nextNotice(); ev.GetMessage().GetText() != "marker" {
		t.Fatalf("after the calls: %v, want nothing before the marker", ev)
	}
}

// A call shown ringing when the plugin restarts is told missed, or
// answered, by its hangup after the restart: the calls ringing are kept
// in the login's folder. They were kept in memory only, and the notice
// rang for good.
func TestCallsRingingAfterRestart(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	isCallEdit := func(target string) func(*pb.Event) bool {
		return func(ev *pb.Event) bool { return ev.GetEdit().GetTargetId() == target }
	}
	callFrom(d, fakesignal.CallMessage{OfferMessage: &fakesignal.CallOffer{ID: 11, Type: "AUDIO_CALL"}})
	if ev := s.nextNotice(); ev.EventId != "call-11" {
		t.Fatalf("offer: %v", ev)
	}
	callFrom(d, fakesignal.CallMessage{OfferMessage: &fakesignal.CallOffer{ID: 12, Type: "VIDEO_CALL"}})
	s.next(func(ev *pb.Event) bool { return ev.EventId == "call-12" })
	callFrom(d, fakesignal.CallMessage{HangupMessage: &fakesignal.CallHangup{ID: 12, Type: "ACCEPTED", DeviceID: 1}})
	s.next(isCallEdit("call-12"))

	s.crash()
	callFrom(d, fakesignal.CallMessage{HangupMessage: &fakesignal.CallHangup{ID: 11, Type: "NORMAL"}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("first marker")}})
	if ev := s.next(func(ev *pb.Event) bool {
		return isCallEdit("call-11")(ev) || ev.GetMessage().GetText() == "first marker"
	}); ev.GetEdit().GetText() != "Missed voice call" || ev.ChatId != bob {
		t.Fatalf("hangup after a restart: %v, want the call missed", ev)
	}
	// The call answered before the restart stays answered: its hangup
	// corrects nothing.
	callFrom(d, fakesignal.CallMessage{HangupMessage: &fakesignal.CallHangup{ID: 12, Type: "NORMAL"}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("marker")}})
	if ev := s.next(func(ev *pb.Event) bool {
		return ev.GetMessage().GetText() == "marker" || (ev.GetEdit() != nil && ev.EventId != "call-12-answered")
	}); ev.GetMessage().GetText() != "marker" {
		t.Fatalf("the answered call's hangup after a restart: %v, want nothing", ev)
	}
}

// A change of a chat's disappearing messages (a data message with no
// text, flagged isExpirationUpdate) shows as a notice from whoever made
// it, the user too from the phone; it was dropped before.
func TestTimerChange(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)

	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, ExpiresInSeconds: 7 * 24 * 3600, IsExpirationUpdate: true}})
	ev := s.nextNotice()
	if ev.GetMessage().GetText() != "Disappearing messages turned on: messages disappear 1 week after they are read" ||
		ev.ChatId != bob || ev.Sender.GetUserId() != bob || ev.EventId != mid(at, bobACI) {
		t.Fatalf("timer set by bob: %v", ev)
	}
	// A message under the timer is a message, no notice.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("gone in a week"), ExpiresInSeconds: 7 * 24 * 3600}})
	if ev := s.nextNotice(); ev.GetMessage().GetText() != "gone in a week" {
		t.Fatalf("a message under the timer: %v", ev)
	}

	// Turned off by the user on the phone.
	at = d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, Timestamp: at, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DestinationNumber: bob, DestinationUUID: bobACI,
			DataMessage: fakesignal.DataMessage{Timestamp: at, IsExpirationUpdate: true}}}})
	ev = s.nextNotice()
	if ev.GetMessage().GetText() != "Disappearing messages turned off" || ev.ChatId != bob || !ev.Sender.GetIsFromMe() || ev.EventId != mid(at, alice) {
		t.Fatalf("timer off from the phone: %v", ev)
	}
}

// A v2 group's timer change comes as a group update (no
// isExpirationUpdate): the group's timer, read again, tells it, a
// notice from whoever changed it in the group's room, named by its
// value, the update and its author (TestAuthoredTimerNoticeRetoldChanged);
// an update that leaves the timer as it was makes none.
func TestGroupTimerChange(t *testing.T) {
	d, gid, s, group := groupKnown(t)

	update := func(change func(*fakesignal.Group), secs int) int64 {
		g, _ := d.GetGroup(alice, gid)
		change(&g)
		g.Revision++
		d.SetGroup(alice, g)
		at := d.Now()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
			Timestamp: at, ExpiresInSeconds: secs, GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "UPDATE"}}})
		return at
	}
	at := update(func(g *fakesignal.Group) { g.Timer = 4 * 7 * 24 * 3600 }, 4*7*24*3600)
	ev := s.nextNotice()
	if ev.GetMessage().GetText() != "Disappearing messages turned on: messages disappear 4 weeks after they are read" ||
		ev.ChatId != group || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || ev.Sender.GetUserId() != carol || ev.EventId != "timer2419200-"+itoa(at)+"-"+carol {
		t.Fatalf("group timer: %v", ev)
	}
	update(func(g *fakesignal.Group) { g.Description = "same timer" }, 4*7*24*3600)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("marker"), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}}})
	if ev := s.nextNotice(); ev.GetMessage().GetText() != "marker" {
		t.Fatalf("an update leaving the timer: %v, want no notice", ev)
	}
	update(func(g *fakesignal.Group) { g.Timer = 0 }, 0)
	if ev := s.nextNotice(); ev.GetMessage().GetText() != "Disappearing messages turned off" || ev.Sender.GetUserId() != carol {
		t.Fatalf("group timer off: %v", ev)
	}
}

// A call rings 60 s at most: an offer fetched later than that (the
// gateway was down, the phone offline) is a missed call at once, which
// an answer on the phone then corrects, and a call that rang that long
// with no hangup (the caller's phone lost its network) is corrected to a
// missed call by itself. Before, both said "Incoming voice call: answer
// it on your phone" for good.
func TestCallsRungOut(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	offer := func(id uint64, ago time.Duration) {
		at := d.Now() - ago.Milliseconds()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob", Timestamp: at,
			CallMessage: &fakesignal.CallMessage{OfferMessage: &fakesignal.CallOffer{ID: id, Type: "AUDIO_CALL"}}})
	}

	// Fetched ten minutes late, then its end: missed, not ringing; its
	// hangup says nothing more.
	offer(21, 10*time.Minute)
	if ev := s.nextNotice(); ev.EventId != "call-21" || ev.GetMessage().GetText() != "Missed voice call" {
		t.Fatalf("an offer of ten minutes ago: %v, want a missed call", ev)
	}
	callFrom(d, fakesignal.CallMessage{HangupMessage: &fakesignal.CallHangup{ID: 21, Type: "NORMAL"}})
	// Fetched late too, but answered on the phone meanwhile.
	offer(22, 10*time.Minute)
	if ev := s.nextNotice(); ev.EventId != "call-22" || ev.GetMessage().GetText() != "Missed voice call" {
		t.Fatalf("a second offer of ten minutes ago: %v, want a missed call (nothing of the first's hangup)", ev)
	}
	callFrom(d, fakesignal.CallMessage{HangupMessage: &fakesignal.CallHangup{ID: 22, Type: "ACCEPTED", DeviceID: 1}})
	if ev := s.nextNotice(); ev.GetEdit().GetTargetId() != "call-22" || ev.GetEdit().GetText() != "Voice call, answered on your phone" {
		t.Fatalf("the late call answered on the phone: %v, want a correction", ev)
	}

	// Ringing for 84 s already, and no hangup ever comes.
	offer(23, 84*time.Second)
	if ev := s.nextNotice(); ev.EventId != "call-23" || ev.GetMessage().GetText() != "Incoming voice call: answer it on your phone" {
		t.Fatalf("an offer of 84 s ago: %v, want it ringing", ev)
	}
	if ev := s.nextNotice(); ev.GetEdit().GetTargetId() != "call-23" || ev.GetEdit().GetText() != "Missed voice call" || ev.ChatId != bob || ev.Sender.GetUserId() != bob {
		t.Fatalf("a call ringing past its time: %v, want a correction to a missed call", ev)
	}
}

// A call still ringing when the plugin stops, whose hangup never comes,
// is told missed by the next process once its time is past: the ring
// out is scheduled again at the connection from the calls kept ringing
// (calls-ringing.json), not only by the process that showed the offer.
func TestCallsRungOutAfterRestart(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	at := d.Now() - (84 * time.Second).Milliseconds()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob", Timestamp: at,
		CallMessage: &fakesignal.CallMessage{OfferMessage: &fakesignal.CallOffer{ID: 31, Type: "AUDIO_CALL"}}})
	if ev := s.nextNotice(); ev.EventId != "call-31" || ev.GetMessage().GetText() != "Incoming voice call: answer it on your phone" {
		t.Fatalf("an offer of 84 s ago: %v, want it ringing", ev)
	}
	s.crash()
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetEdit() != nil }); ev.GetEdit().GetTargetId() != "call-31" ||
		ev.GetEdit().GetText() != "Missed voice call" || ev.ChatId != bob {
		t.Fatalf("a call ringing past its time after a restart: %v, want a correction to a missed call", ev)
	}
}
