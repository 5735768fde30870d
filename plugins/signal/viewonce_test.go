package signal_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"

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

// The files of view-once media, which signal-cli downloaded into its
// attachments folder, are deleted once the notice is out: the user
// never sees them, and they would stay there for good. An ordinary
// file stays, for the gateway to fetch.
func TestViewOnceFileDeleted(t *testing.T) {
	d, _ := startFake(t)
	data := t.TempDir()
	atts := filepath.Join(data, "attachments")
	os.MkdirAll(atts, 0o700)
	for _, f := range []string{"once1.jpg", "once2.mp4", "kept.jpg"} {
		os.WriteFile(filepath.Join(atts, f), []byte("SECRET"), 0o600)
	}
	cfg, _ := json.Marshal(map[string]any{"socket": d.Path(), "data_dir": data, "accounts": adminAccounts()})
	p := plugintest.Start(t, pluginBinary(t), "", cfg)
	done := p.Login("existing", map[string]string{"account": alice})
	s := &session{t: t, d: d, p: p, loginID: done.LoginId, saved: done.SavedState, dir: t.TempDir()}
	s.evs = p.Events()
	s.connect(done.SavedState)

	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{ViewOnce: true,
		Attachments: []fakesignal.Attachment{{ContentType: "image/jpeg", ID: "once1.jpg", Size: 6}}}})
	s.next(isText("⚠ A view-once photo: open it on your phone."))
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DestinationNumber: bob, DataMessage: fakesignal.DataMessage{ViewOnce: true,
			Attachments: []fakesignal.Attachment{{ContentType: "video/mp4", ID: "once2.mp4", Size: 6}}}}}})
	s.next(isText("⚠ A view-once video, sent from your phone: it is not kept here."))
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Attachments: []fakesignal.Attachment{{ContentType: "image/jpeg", ID: "kept.jpg", Size: 6}}}})
	s.next(func(ev *pb.Event) bool { return len(ev.GetMessage().GetAttachments()) == 1 })

	for _, f := range []string{"once1.jpg", "once2.mp4"} {
		if _, err := os.Stat(filepath.Join(atts, f)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the view-once file %s: %v, want deleted", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(atts, "kept.jpg")); err != nil {
		t.Errorf("the ordinary file: %v, want kept", err)
	}
}
