package signal_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Signal takes an edit within 24 hours of the message (the transport's
// edit_window_seconds); its apps drop a later one. A correction of an
// older message is refused as EXPIRED before signal-cli is asked, not
// answered as done while no one on Signal ever sees it.
func TestEditWindow(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	old := time.Now().Add(-25 * time.Hour).UnixMilli()
	meta, _ := json.Marshal(map[string]any{"a": alice, "t": old})
	asked := d.Calls("send")
	res := s.do(bob, &pb.EditMessage{TargetId: itoa(old), TargetMeta: meta, Text: "too late"})
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_EXPIRED {
		t.Fatalf("an edit of a message 25 hours old: %v, want EXPIRED", res)
	}
	if n := d.Calls("send"); n != asked {
		t.Fatalf("the late edit reached signal-cli (%d sends)", n-asked)
	}
	// Within the window it goes.
	sent := s.do(bob, &pb.SendMessage{Text: "fresh"})
	if sent.Error != nil {
		t.Fatal(sent.Error)
	}
	if res := s.do(bob, &pb.EditMessage{TargetId: sent.MessageId, TargetMeta: sent.Meta, Text: "fresh, edited"}); res.Error != nil {
		t.Fatalf("an edit within the window: %v", res.Error)
	}
}

// Signal's apps let a message be deleted for everyone for 24 hours; a
// recipient's app drops a later delete while the user's own devices
// apply it. A retraction of an older message is refused as EXPIRED
// before signal-cli is asked, not answered as done while it stays with
// everyone else. The note to self has no window, for deletes and edits.
func TestDeleteWindow(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	old := time.Now().Add(-25 * time.Hour).UnixMilli()
	meta, _ := json.Marshal(map[string]any{"a": alice, "t": old})
	asked := d.Calls("remoteDelete")
	res := s.do(bob, &pb.Retract{TargetId: itoa(old), TargetMeta: meta})
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_EXPIRED || !strings.Contains(res.Error.GetText(), "24 hours") {
		t.Fatalf("a delete of a message 25 hours old: %v, want EXPIRED naming the window", res)
	}
	if n := d.Calls("remoteDelete"); n != asked {
		t.Fatalf("the late delete reached signal-cli (%d deletes)", n-asked)
	}
	// Within the window it goes.
	sent := s.do(bob, &pb.SendMessage{Text: "fresh"})
	if sent.Error != nil {
		t.Fatal(sent.Error)
	}
	if res := s.do(bob, &pb.Retract{TargetId: sent.MessageId, TargetMeta: sent.Meta}); res.Error != nil {
		t.Fatalf("a delete within the window: %v", res.Error)
	}
	// In the note to self, an old message is deleted and edited still.
	if res := s.do(alice, &pb.EditMessage{TargetId: itoa(old), TargetMeta: meta, Text: "a note, edited"}); res.Error != nil {
		t.Fatalf("an edit of an old note to self: %v", res.Error)
	}
	if res := s.do(alice, &pb.Retract{TargetId: itoa(old), TargetMeta: meta}); res.Error != nil {
		t.Fatalf("a delete of an old note to self: %v", res.Error)
	}
	if n := d.Calls("remoteDelete"); n != asked+2 {
		t.Fatalf("%d deletes reached signal-cli, want 2", n-asked)
	}
}

// Signal's apps apply another's delete or edit of a message only within
// 48 hours of it (a day past the window to send one), so a later one,
// which a client other than Signal's may send, leaves the message as
// it was on the phone: it is dropped here too, not shown as the
// message's retraction or correction on XMPP alone. A day and a half
// is in time; the user's own from the phone has no window.
func TestLateDeleteAndEditDropped(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	say := func(from, fromACI string, age time.Duration, text string) int64 {
		at := time.Now().Add(-age).UnixMilli()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: from, SourceUUID: fromACI, Timestamp: at,
			DataMessage: &fakesignal.DataMessage{Timestamp: at, Message: fakesignal.Text(text)}})
		s.next(isText(text))
		return at
	}
	old := say(bob, bobACI, 72*time.Hour, "three days ago")
	recent := say(bob, bobACI, 36*time.Hour, "a day and a half ago")
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, EditMessage: &fakesignal.EditMessage{
		TargetSentTimestamp: old, DataMessage: fakesignal.DataMessage{Timestamp: d.Now(), Message: fakesignal.Text("rewritten")}}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{RemoteDelete: &fakesignal.RemoteDelete{Timestamp: old}}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{RemoteDelete: &fakesignal.RemoteDelete{Timestamp: recent}}})
	ev := s.next(func(ev *pb.Event) bool { return ev.GetEdit() != nil || ev.GetRetraction() != nil })
	if ev.GetRetraction().GetTargetId() != mid(recent, bobACI) {
		t.Fatalf("after a late edit and delete and one in time: %v, want only the one in time", ev)
	}
	// Alice deletes her own old message on her phone.
	at := time.Now().Add(-72 * time.Hour).UnixMilli()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, Timestamp: at, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DestinationNumber: bob, DestinationUUID: bobACI, DataMessage: fakesignal.DataMessage{Timestamp: at, Message: fakesignal.Text("mine, old")}}}})
	s.next(isText("mine, old"))
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DestinationNumber: bob, DestinationUUID: bobACI, DataMessage: fakesignal.DataMessage{Timestamp: d.Now(), RemoteDelete: &fakesignal.RemoteDelete{Timestamp: at}}}}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetRetraction() != nil }); ev.GetRetraction().GetTargetId() != mid(at, alice) || !ev.Sender.GetIsFromMe() {
		t.Fatalf("alice's delete of her old message from the phone: %v", ev)
	}
}
