package telegram

import (
	"bytes"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// A photo or video the XMPP user marked hidden (Attachment.spoiler) goes
// to Telegram hidden (the Spoiler flag of the uploaded media); one not
// marked, and a file that is no picture or video (which Telegram's apps
// do not hide), go as they are: the flag was dropped before.
func TestSpoilerSent(t *testing.T) {
	srv := newFake(t)
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	file := func(name, mime string, hidden bool) *pb.Attachment {
		return &pb.Attachment{Name: name, MimeType: mime, Spoiler: hidden, Source: &pb.Attachment_Data{Data: bytes.Repeat([]byte(name), 100)}}
	}
	from := len(srv.Messages(bob.ID))
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002"}, &pb.SendMessage{Attachments: []*pb.Attachment{
		file("a.jpg", "image/jpeg", true), file("b.mp4", "video/mp4", true), file("c.pdf", "application/pdf", true),
		file("d.mp4", "video/mp4", false)}}); err != nil {
		t.Fatal(err)
	}
	box := srv.Messages(bob.ID)[from:]
	if len(box) != 4 {
		t.Fatalf("bob got %d messages, want 4", len(box))
	}
	if md, ok := box[0].Media.(*tg.MessageMediaPhoto); !ok || !md.Spoiler {
		t.Errorf("the photo marked hidden went as %#v, want a photo with the spoiler flag", box[0].Media)
	}
	for i, want := range []bool{true, false, false} {
		if md, ok := box[i+1].Media.(*tg.MessageMediaDocument); !ok || md.Spoiler != want {
			t.Errorf("file %d went as %#v, want a document with spoiler %v", i+1, box[i+1].Media, want)
		}
	}
}

// A photo or file Telegram shows hidden (has_spoiler) arrives with
// Attachment.spoiler set, for the gateway to mark it XEP-0382; one not
// hidden without: it arrived unmarked before.
func TestSpoilerReceived(t *testing.T) {
	srv := newFake(t)
	_, h, _, _ := connectAlice(t, srv)
	from := h.count()
	photo := srv.AddMedia(bytes.Repeat([]byte("jpeg"), 500), "image/jpeg").(*tg.MessageMediaPhoto)
	photo.Spoiler = true
	doc := srv.AddMedia(bytes.Repeat([]byte("mp4!"), 500), "video/mp4", &tg.DocumentAttributeFilename{FileName: "v.mp4"}).(*tg.MessageMediaDocument)
	doc.Spoiler = true
	plain := srv.AddMedia(bytes.Repeat([]byte("pdf!"), 500), "application/pdf", &tg.DocumentAttributeFilename{FileName: "p.pdf"})
	srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, "hidden photo", tgfake.WithMedia(photo))
	srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, "hidden video", tgfake.WithMedia(doc))
	srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, "plain file", tgfake.WithMedia(plain))
	for text, want := range map[string]bool{"hidden photo": true, "hidden video": true, "plain file": false} {
		ev := h.wait(t, from, text, isMessage("1002", text))
		as := ev.GetMessage().GetAttachments()
		if len(as) != 1 || as[0].GetSpoiler() != want {
			t.Errorf("%s: attachments %v, want one with spoiler %v", text, as, want)
		}
	}
}
