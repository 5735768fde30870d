package whatsapp

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A correction of a file's text goes as WhatsApp edits a caption: the
// file's own media message with the new caption (a document's wrapped as
// a captioned one), where it went as a text edit, which took the caption
// away; an audio file's text, a message of its own, is edited as one; a
// file without a caption (a voice note sent without text) is refused; a
// text is edited as before. The user's files from the phone too.
func TestCaptionEdit(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	chat := "+33611111111"
	send := func(txn, text, name, mime string, voice bool) (sdk.Result, []byte) {
		t.Helper()
		var atts []*pb.Attachment
		if name != "" {
			id, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: name, MimeType: mime}, strings.NewReader("DATA of "+name))
			if err != nil {
				t.Fatal(err)
			}
			atts = []*pb.Attachment{{Name: name, MimeType: mime, VoiceNote: voice, Source: &pb.Attachment_UploadId{UploadId: id}}}
		}
		res, err := s.SendMessage(ctx, sdk.Call{ChatID: chat, TxnID: txn}, &pb.SendMessage{Text: text, Attachments: atts})
		if err != nil {
			t.Fatal(err)
		}
		return res, res.Meta
	}
	sentMsg := func(id types.MessageID) *waE2E.Message {
		for _, x := range fake.Sent() {
			if x.ID == id {
				return x.Msg
			}
		}
		t.Fatalf("%s not sent", id)
		return nil
	}
	// edit corrects target and returns the edit sent (its key's ID, its
	// new content).
	edit := func(target string, meta []byte, text string) (string, *waE2E.Message, error) {
		n := len(fake.Sent())
		_, err := s.EditMessage(ctx, sdk.Call{ChatID: chat}, &pb.EditMessage{TargetId: target, TargetMeta: meta, Text: text})
		if err != nil {
			return "", nil, err
		}
		sent, err := fake.WaitSent(n+1, eventWait)
		if err != nil {
			t.Fatal(err)
		}
		pm := sent[n].Msg.GetEditedMessage().GetMessage().GetProtocolMessage()
		if pm.GetType() != waE2E.ProtocolMessage_MESSAGE_EDIT {
			t.Fatalf("not an edit: %v", sent[n].Msg)
		}
		return pm.GetKey().GetID(), pm.GetEditedMessage(), nil
	}

	// A photo: its image message, the same file, the new caption.
	photo, meta := send("t-photo", "first", "a.jpg", "image/jpeg", false)
	id, c, err := edit(photo.MessageID, meta, "second")
	orig := sentMsg(photo.MessageID).GetImageMessage()
	if err != nil || id != photo.MessageID || c.GetImageMessage().GetCaption() != "second" || c.GetConversation() != "" ||
		c.GetImageMessage().GetDirectPath() != orig.GetDirectPath() || !bytes.Equal(c.GetImageMessage().GetMediaKey(), orig.GetMediaKey()) ||
		c.GetImageMessage().GetMimetype() != "image/jpeg" {
		t.Errorf("photo: %s %v, %v", id, c, err)
	}

	// A document: wrapped as a captioned one.
	doc, meta := send("t-doc", "the plan", "plan.pdf", "application/pdf", false)
	id, c, err = edit(doc.MessageID, meta, "the real plan")
	if d := c.GetDocumentWithCaptionMessage().GetMessage().GetDocumentMessage(); err != nil || id != doc.MessageID ||
		d.GetCaption() != "the real plan" || d.GetFileName() != "plan.pdf" || d.GetDirectPath() == "" {
		t.Errorf("document: %s %v, %v", id, c, err)
	}

	// An audio file with text: its text, the message after it.
	audio, meta := send("t-audio", "listen", "song.mp3", "audio/mpeg", false)
	m, _ := decodeMeta(meta)
	id, c, err = edit(audio.MessageID, meta, "listen to this")
	if err != nil || len(m.Parts) != 1 || id != m.Parts[0] || c.GetConversation() != "listen to this" {
		t.Errorf("audio: %s %v, %v", id, c, err)
	}

	// A voice note sent without text: no caption to correct.
	voice, meta := send("t-voice", "", "note.ogg", "audio/ogg", true)
	if _, _, err := edit(voice.MessageID, meta, "hello"); codeOf(err) != pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
		t.Errorf("voice note: %v, want UNSUPPORTED", err)
	}

	// A text, and a message of an older meta: a text edit.
	text, meta := send("t-text", "hi", "", "", false)
	if id, c, err := edit(text.MessageID, meta, "hello"); err != nil || id != text.MessageID || c.GetConversation() != "hello" {
		t.Errorf("text: %s %v, %v", id, c, err)
	}
	if id, c, err := edit(photo.MessageID, []byte("33600000000@s.whatsapp.net|1"), "third"); err != nil || id != photo.MessageID || c.GetConversation() != "third" {
		t.Errorf("older meta: %s %v, %v", id, c, err)
	}

	// The user's photo from the phone.
	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: me, IsFromMe: true}, ID: "PHOTO1", Timestamp: time.Now()},
		&waE2E.Message{ImageMessage: &waE2E.ImageMessage{Mimetype: proto.String("image/jpeg"), Caption: proto.String("from the phone"),
			DirectPath: proto.String("/v/t62.7118-24/1"), MediaKey: []byte("key"), JPEGThumbnail: []byte("thumb")}})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "PHOTO1" })
	id, c, err = edit("PHOTO1", ev.Meta, "from the phone, edited")
	if img := c.GetImageMessage(); err != nil || id != "PHOTO1" || img.GetCaption() != "from the phone, edited" ||
		img.GetDirectPath() != "/v/t62.7118-24/1" || img.GetJPEGThumbnail() != nil {
		t.Errorf("from the phone: %s %v, %v", id, c, err)
	}
}

// A file's meta stays within the contract's bound: a file too large for
// it keeps its kind alone, which still corrects its caption.
func TestCaptionEditMetaBound(t *testing.T) {
	big := &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{FileName: proto.String(strings.Repeat("n", 2000)), Mimetype: proto.String("application/pdf")}}
	b := msgMeta{Sender: me, FromMe: true, Time: when, File: fileOf(big)}.encode()
	m, err := decodeMeta(b)
	if len(b) > maxMeta || err != nil || !m.Time.Equal(when) {
		t.Fatalf("%d bytes: %+v, %v", len(b), m, err)
	}
	c, _, err := editContent(quoted{ID: "D1", Meta: m}, "new", nil)
	if err != nil || c.GetDocumentWithCaptionMessage().GetMessage().GetDocumentMessage().GetCaption() != "new" {
		t.Errorf("edit %v, %v", c, err)
	}
	// Without a time, and with parts.
	small := msgMeta{Sender: me, FromMe: true, Parts: []types.MessageID{"P1"}, File: fileOf(&waE2E.Message{AudioMessage: &waE2E.AudioMessage{}}), TextPart: true}
	if m, err := decodeMeta(small.encode()); err != nil || !m.Time.IsZero() || !m.TextPart || len(m.Parts) != 1 || m.File == nil {
		t.Errorf("%s: %+v, %v", small.encode(), m, err)
	}
}
