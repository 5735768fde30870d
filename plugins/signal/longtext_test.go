package signal_test

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A text past 2000 bytes travels in Signal as a file of type
// text/x-signal-plain, which signal-cli reads into the message's body
// and still lists among its attachments: the message comes as its text
// alone, not the text and the same text again as a file. The other
// files of the message come, and such a file without a body (signal-cli
// could not read it) comes as a file.
func TestLongTextNotAFile(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	long := strings.Repeat("long text ", 300)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text(long), Attachments: []fakesignal.Attachment{
			{ContentType: "text/x-signal-plain", ID: "long.txt", Size: int64(len(long))},
			{ContentType: "image/jpeg", ID: "photo.jpg", Size: 9}}}})
	ev := s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if m := ev.GetMessage(); m.Text != long || len(m.Attachments) != 1 || m.Attachments[0].GetRef() != "photo.jpg" {
		t.Fatalf("a long text with a photo: %d bytes of text, files %v; want the text and the photo alone", len(m.Text), m.Attachments)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Attachments: []fakesignal.Attachment{{ContentType: "text/x-signal-plain", ID: "unread.txt", Size: 3000}}}})
	ev = s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if m := ev.GetMessage(); len(m.Attachments) != 1 {
		t.Fatalf("a long text signal-cli did not read: files %v, want it as a file", m.Attachments)
	}
}

// A long text signal-cli could not fetch comes as the body the sender's
// app put beside it, its first 2000 bytes: the message says it is cut
// and the file is not offered (it could not be read). Before, the text
// arrived cut without a word.
func TestLongTextCutMarked(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	long := strings.Repeat("long text ", 300)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text(long[:2000]), Attachments: []fakesignal.Attachment{
			{ContentType: "text/x-signal-plain", ID: "long.txt", Size: int64(len(long))}}}})
	ev := s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	m := ev.GetMessage()
	if !strings.HasPrefix(m.Text, long[:2000]) || !strings.Contains(m.Text[2000:], "could not be fetched") || len(m.Attachments) != 0 {
		t.Fatalf("a long text cut: %q, files %v; want its start and a line saying the rest is missing", m.Text[min(len(m.Text), 1990):], m.Attachments)
	}
}
