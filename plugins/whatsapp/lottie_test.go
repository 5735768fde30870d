package whatsapp

import (
	"bytes"
	"image"
	"image/png"
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"
)

// An animated (Lottie) sticker, a file no XMPP client opens, goes as its
// PNG preview when the message carries one, else as a line saying what
// came; a WebP sticker is a file as before.
func TestInboundLottieSticker(t *testing.T) {
	var still bytes.Buffer
	if err := png.Encode(&still, image.NewRGBA(image.Rect(0, 0, 96, 64))); err != nil {
		t.Fatal(err)
	}
	lottieMsg := func(s *waE2E.StickerMessage) *waE2E.Message {
		s.Mimetype, s.IsLottie, s.IsAnimated = proto.String(lottieMime), proto.Bool(true), proto.Bool(true)
		s.DirectPath, s.MediaKey = proto.String("/v/t62.15575-24/1"), []byte("k")
		return &waE2E.Message{LottieStickerMessage: fp(&waE2E.Message{StickerMessage: s})}
	}
	unshown := "⚠ An animated sticker the gateway cannot show: see it on your phone."

	cases := []struct {
		name string
		msg  *waE2E.Message
		text string
		file string // the attachment's name, "" for none
		mime string
		data bool // carried in the event (the preview)
	}{
		{"with a preview", lottieMsg(&waE2E.StickerMessage{PngThumbnail: still.Bytes()}), "", "sticker.png", "image/png", true},
		{"without", lottieMsg(&waE2E.StickerMessage{}), unshown, "", "", false},
		{"labelled", lottieMsg(&waE2E.StickerMessage{AccessibilityLabel: proto.String("waving cat")}),
			"⚠ An animated sticker («waving cat») the gateway cannot show: see it on your phone.", "", "", false},
		{"a preview that is no PNG", lottieMsg(&waE2E.StickerMessage{PngThumbnail: []byte("not a png")}), unshown, "", "", false},
		{"a WebP sticker", &waE2E.Message{StickerMessage: &waE2E.StickerMessage{Mimetype: proto.String("image/webp"), DirectPath: proto.String("/v/1")}},
			"", "sticker.webp", "image/webp", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evt := (&events.Message{Info: direct(alice, "L1"), RawMessage: tc.msg}).UnwrapRaw()
			unwrap(evt)
			m := testConv.message(evt).GetMessage()
			if m.GetText() != tc.text {
				t.Errorf("text %q, want %q", m.GetText(), tc.text)
			}
			if tc.file == "" {
				if len(m.GetAttachments()) != 0 {
					t.Fatalf("attachments %v", m.GetAttachments())
				}
				return
			}
			if len(m.GetAttachments()) != 1 {
				t.Fatalf("attachments %v", m.GetAttachments())
			}
			a := m.GetAttachments()[0]
			if a.GetName() != tc.file || a.GetMimeType() != tc.mime || (a.GetData() != nil) != tc.data {
				t.Errorf("attachment %v", a)
			}
			if tc.data && (!bytes.Equal(a.GetData(), still.Bytes()) || a.GetWidth() != 96 || a.GetHeight() != 64 || a.GetSize() != int64(still.Len())) {
				t.Errorf("preview %dx%d, %d bytes", a.GetWidth(), a.GetHeight(), a.GetSize())
			}
		})
	}
}
