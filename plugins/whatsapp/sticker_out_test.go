package whatsapp

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"testing"

	"go.mau.fi/whatsmeow"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// webpFile is a WebP file of w by h pixels, total bytes long: a lossless
// (VP8L) still one, or, animated, a VP8X header with its animation flag
// (what a sticker maker writes); the rest is padding, as only the header
// is read.
func webpFile(w, h int, animated bool, total int) []byte {
	var chunk []byte
	if animated {
		c := make([]byte, 10)
		c[0] = 1 << 1 // animation
		c[4], c[5], c[6] = byte(w-1), byte((w-1)>>8), byte((w-1)>>16)
		c[7], c[8], c[9] = byte(h-1), byte((h-1)>>8), byte((h-1)>>16)
		chunk = append([]byte("VP8X\x0a\x00\x00\x00"), c...)
	} else {
		bits := uint32(w-1) | uint32(h-1)<<14
		c := []byte{0x2f, 0, 0, 0, 0}
		binary.LittleEndian.PutUint32(c[1:], bits)
		chunk = append([]byte("VP8L"), binary.LittleEndian.AppendUint32(nil, uint32(len(c)))...)
		chunk = append(chunk, c...)
	}
	b := append([]byte("RIFF\x00\x00\x00\x00WEBP"), chunk...)
	if len(b) < total {
		b = append(b, make([]byte, total-len(b))...)
	}
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

// A WebP of WhatsApp's sticker size sent from XMPP goes as a sticker
// (animated when it is), uploaded as WhatsApp uploads one (an image's
// keys), its text as a message after it, as a sticker has no caption;
// it went as a document, as any WebP. A WebP of another size, or too
// large for a sticker, is still a document.
func TestStickerOut(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	send := func(txn, name, mime, text string, data []byte) []*pb.Attachment {
		t.Helper()
		id, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: name, MimeType: mime}, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		a := []*pb.Attachment{{Name: name, MimeType: mime, Source: &pb.Attachment_UploadId{UploadId: id}}}
		if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "+33611111111", TxnID: txn}, &pb.SendMessage{Text: text, Attachments: a}); err != nil {
			t.Fatal(err)
		}
		return a
	}

	send("t1", "cat.webp", "image/webp", "meow", webpFile(512, 512, false, 30<<10))
	sent, err := fake.WaitSent(2, eventWait)
	if err != nil {
		t.Fatalf("sent %v: %v", fake.Sent(), err)
	}
	st := sent[0].Msg.GetStickerMessage()
	if st == nil || st.GetIsAnimated() || st.GetWidth() != 512 || st.GetHeight() != 512 || st.GetMimetype() != "image/webp" {
		t.Fatalf("a 512 by 512 WebP went as %v, want a still sticker", sent[0].Msg)
	}
	if kind := fake.UploadedAs(st.GetDirectPath()); kind != whatsmeow.MediaImage {
		t.Errorf("sticker uploaded as %q, want %q", kind, whatsmeow.MediaImage)
	}
	if sent[1].Msg.GetConversation() != "meow" {
		t.Errorf("the sticker's text went as %v", sent[1].Msg)
	}

	send("t2", "dance.webp", "", "", webpFile(512, 512, true, 300<<10))
	sent, err = fake.WaitSent(3, eventWait)
	if err != nil {
		t.Fatal(err)
	}
	if st := sent[2].Msg.GetStickerMessage(); st == nil || !st.GetIsAnimated() {
		t.Errorf("an animated 512 by 512 WebP went as %v, want an animated sticker", sent[2].Msg)
	}

	for i, c := range []struct {
		name string
		data []byte
	}{
		{"photo.webp", webpFile(800, 600, false, 1000)},
		{"big.webp", webpFile(512, 512, false, 101<<10)},
		{"huge.webp", webpFile(512, 512, true, 501<<10)},
	} {
		send(fmt.Sprintf("d%d", i), c.name, "image/webp", "", c.data)
		sent, err = fake.WaitSent(4+i, eventWait)
		if err != nil {
			t.Fatal(err)
		}
		if doc := sent[3+i].Msg.GetDocumentMessage(); doc.GetFileName() != c.name {
			t.Errorf("%s went as %v, want a document", c.name, sent[3+i].Msg)
		}
	}
}

func TestWebpSticker(t *testing.T) {
	for _, c := range []struct {
		head []byte
		want sticker
		ok   bool
	}{
		{webpFile(512, 512, false, 0), sticker{512, 512, false}, true},
		{webpFile(512, 512, true, 0), sticker{512, 512, true}, true},
		{webpFile(300, 200, false, 0), sticker{300, 200, false}, true},
		{[]byte("RIFF\x10\x00\x00\x00WAVEfmt \x00\x00\x00\x00\x00"), sticker{}, false},
		{[]byte("GIF89a"), sticker{}, false},
	} {
		got, ok := webpSticker(c.head)
		if got != c.want || ok != c.ok {
			t.Errorf("webpSticker(%q) = %v, %v; want %v, %v", c.head, got, ok, c.want, c.ok)
		}
	}
}
