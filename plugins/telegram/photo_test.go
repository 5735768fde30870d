package telegram

import (
	"bytes"
	"image"
	"image/png"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// An image Telegram does not take as a photo goes as a file, not lost:
// over its 10 MB (known from its size, so not asked as a photo), or of
// a shape it refuses (a panorama 21 times as wide as high:
// PHOTO_INVALID_DIMENSIONS, asked again as a document).
func TestPhotoAsDocument(t *testing.T) {
	big := inputMedia(upload{info: &pb.MediaInfo{Name: "big.jpg", MimeType: "image/jpeg", Size: tgfake.PhotoMax + 1}}, &pb.Attachment{}, false)
	if d, ok := big.(*tg.InputMediaUploadedDocument); !ok || d.MimeType != "image/jpeg" {
		t.Errorf("a JPEG over 10 MB as %T, want a document", big)
	}
	small := inputMedia(upload{info: &pb.MediaInfo{Name: "small.jpg", MimeType: "image/jpeg", Size: 1000}}, &pb.Attachment{}, false)
	if _, ok := small.(*tg.InputMediaUploadedPhoto); !ok {
		t.Errorf("a small JPEG as %T, want a photo", small)
	}

	srv := newFake(t)
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 2100, 100))); err != nil {
		t.Fatal(err)
	}
	pano := buf.Bytes()
	id, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: "pano.png", MimeType: "image/png", Size: int64(len(pano))}, bytes.NewReader(pano))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002", TxnID: "pano"}, &pb.SendMessage{Text: "wide",
		Attachments: []*pb.Attachment{{Source: &pb.Attachment_UploadId{UploadId: id}}}}); err != nil {
		t.Fatalf("a panorama: %v", err)
	}
	box := srv.Messages(bob.ID)
	last := box[len(box)-1]
	d, ok := last.Media.(*tg.MessageMediaDocument)
	if !ok || last.Message != "wide" || !bytes.Equal(srv.Media(last.Media), pano) {
		t.Fatalf("bob got %q with %T", last.Message, last.Media)
	}
	if doc := d.Document.(*tg.Document); doc.MimeType != "image/png" {
		t.Errorf("the panorama's type %q", doc.MimeType)
	}
}
