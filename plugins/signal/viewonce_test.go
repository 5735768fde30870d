package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// View-once media is shown as what it is, a notice saying where to open
// it, not as a file the archives would keep for ever (Signal's own
// linked devices do not show it either); the user's own, sent from the
// phone, says it stays there. Ordinary media still comes as files.
func TestViewOnceShownAsNotice(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	photo := []fakesignal.Attachment{{ContentType: "image/jpeg", Filename: "secret.jpg", ID: "once1.jpg", Size: 9}}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		ViewOnce: true, Attachments: photo}})
	ev := s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if m := ev.GetMessage(); m.Text != "⚠ A view-once photo: open it on your phone." || len(m.Attachments) != 0 {
		t.Errorf("a view-once photo: %q with %d files, want the notice alone", m.Text, len(m.Attachments))
	}
	video := []fakesignal.Attachment{{ContentType: "video/mp4", Filename: "clip.mp4", ID: "once2.mp4", Size: 9}}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DestinationNumber: bob, DataMessage: fakesignal.DataMessage{ViewOnce: true, Attachments: video}}}})
	ev = s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if m := ev.GetMessage(); m.Text != "⚠ A view-once video, sent from your phone: it is not kept here." || len(m.Attachments) != 0 || !ev.Sender.GetIsFromMe() {
		t.Errorf("the user's view-once video: %q with %d files (from me: %v), want the notice alone", m.Text, len(m.Attachments), ev.Sender.GetIsFromMe())
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Attachments: photo}})
	ev = s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if m := ev.GetMessage(); m.Text != "" || len(m.Attachments) != 1 {
		t.Errorf("an ordinary photo: %q with %d files, want the file", m.Text, len(m.Attachments))
	}
}
