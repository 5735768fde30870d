package telegram

import (
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestVoiceNoteType: a voice note the gateway types "audio/ogg;
// codecs=opus" (as WhatsApp wants it) goes to Telegram as plain
// audio/ogg, as Telegram's own apps send one, with the voice attribute;
// a JPEG whose type has a parameter is still a photo.
func TestVoiceNoteType(t *testing.T) {
	m := inputMedia(upload{info: &pb.MediaInfo{Name: "RECORDING.oga", MimeType: "audio/ogg; codecs=opus", Size: 1000, VoiceNote: true, DurationMs: 4200}}, &pb.Attachment{}, false)
	d, ok := m.(*tg.InputMediaUploadedDocument)
	if !ok {
		t.Fatalf("a voice note as %T, want a document", m)
	}
	if d.MimeType != "audio/ogg" {
		t.Errorf("MIME type %q, want audio/ogg", d.MimeType)
	}
	voice := false
	for _, a := range d.Attributes {
		if au, ok := a.(*tg.DocumentAttributeAudio); ok && au.Voice && au.Duration == 4 {
			voice = true
		}
	}
	if !voice {
		t.Errorf("no voice attribute of 4 s: %+v", d.Attributes)
	}
	if p := inputMedia(upload{info: &pb.MediaInfo{Name: "a.jpg", MimeType: "image/jpeg; charset=binary", Size: 1000}}, &pb.Attachment{}, false); !isPhoto(p) {
		t.Errorf("a JPEG typed with a parameter as %T, want a photo", p)
	}
}

func isPhoto(m tg.InputMediaClass) bool {
	_, ok := m.(*tg.InputMediaUploadedPhoto)
	return ok
}
