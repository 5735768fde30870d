package whatsapp

import (
	"encoding/base64"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A correction of a file's text. WhatsApp edits a photo's, a video's or
// a document's caption with an edit whose new content is that media
// message with the new caption (as the apps edit one, and as whatsmeow's
// BuildEdit is used for it: a text as the new content took the caption
// away, whatsmeow issue 684), a document's wrapped as a captioned one.
// So the user's own file messages keep, in their meta (msgMeta.File),
// the media message as sent without its caption, thumbnail and context:
// the new content is it with the new caption. A voice note, an audio
// file or a sticker has no caption: an audio file's text went as a
// message of its own after it (msgMeta.TextPart), which the correction
// edits instead.

// fileOf is a message's media as kept in its meta: the media message
// without what the edit need not repeat (caption, thumbnail, context,
// URL: the direct path is what downloads use); nil for a message that is
// no file.
func fileOf(msg *waE2E.Message) []byte {
	if d := msg.GetDocumentWithCaptionMessage().GetMessage(); d != nil {
		msg = d
	}
	var f *waE2E.Message
	switch {
	case msg.GetImageMessage() != nil:
		m := proto.Clone(msg.GetImageMessage()).(*waE2E.ImageMessage)
		m.Caption, m.JPEGThumbnail, m.ContextInfo, m.URL = nil, nil, nil, nil
		f = &waE2E.Message{ImageMessage: m}
	case msg.GetVideoMessage() != nil:
		m := proto.Clone(msg.GetVideoMessage()).(*waE2E.VideoMessage)
		m.Caption, m.JPEGThumbnail, m.ContextInfo, m.URL, m.StreamingSidecar = nil, nil, nil, nil, nil
		f = &waE2E.Message{VideoMessage: m}
	case msg.GetDocumentMessage() != nil:
		m := proto.Clone(msg.GetDocumentMessage()).(*waE2E.DocumentMessage)
		m.Caption, m.JPEGThumbnail, m.ContextInfo, m.URL = nil, nil, nil, nil
		f = &waE2E.Message{DocumentMessage: m}
	case msg.GetAudioMessage() != nil:
		f = &waE2E.Message{AudioMessage: &waE2E.AudioMessage{}}
	case msg.GetStickerMessage() != nil:
		f = &waE2E.Message{StickerMessage: &waE2E.StickerMessage{}}
	case msg.GetPtvMessage() != nil:
		f = &waE2E.Message{PtvMessage: &waE2E.VideoMessage{}}
	case msg.GetContactMessage() != nil || msg.GetContactsArrayMessage() != nil:
		f = &waE2E.Message{ContactMessage: &waE2E.ContactMessage{}} // no caption (contactcard.go)
	case msg.GetLocationMessage() != nil || msg.GetLiveLocationMessage() != nil:
		// Not a file, nor to correct: its kind says so (editContent).
		f = &waE2E.Message{LocationMessage: &waE2E.LocationMessage{}}
	case firstPoll(msg) != nil:
		f = &waE2E.Message{PollCreationMessage: &waE2E.PollCreationMessage{}}
	default:
		return nil
	}
	b, err := proto.Marshal(f)
	if err != nil {
		return kindOnly(f) // a message just unmarshalled marshals
	}
	return b
}

// kindOnly is a file message with its kind alone (its content field
// empty): what the meta keeps when the whole does not fit.
func kindOnly(f *waE2E.Message) []byte {
	out := &waE2E.Message{}
	f.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap() {
			out.ProtoReflect().Set(fd, protoreflect.ValueOfMessage(v.Message().Type().New()))
			return false
		}
		return true
	})
	b, _ := proto.Marshal(out)
	return b
}

// fileField is the meta's file field: "f", or "t" when the text went as
// Parts[0], then the file message in base64; the kind alone when the
// whole would take more than room bytes.
func fileField(file []byte, textPart bool, room int) string {
	flag := "f"
	if textPart {
		flag = "t"
	}
	s := flag + base64.RawURLEncoding.EncodeToString(file)
	if len(s) > room {
		var f waE2E.Message
		if proto.Unmarshal(file, &f) == nil {
			s = flag + base64.RawURLEncoding.EncodeToString(kindOnly(&f))
		}
	}
	return s
}

// readFileField reads fileField's form.
func readFileField(s string) (file []byte, textPart bool, ok bool) {
	if s == "" || (s[0] != 'f' && s[0] != 't') {
		return nil, false, false
	}
	b, err := base64.RawURLEncoding.DecodeString(s[1:])
	if err != nil {
		return nil, false, false
	}
	if b == nil {
		b = []byte{}
	}
	return b, s[0] == 't', true
}

// captionEdit is the new content of a correction of a file's text: the
// file message kept in its meta with text as its caption (and mentions
// as its context); false for a file without a caption.
func captionEdit(file []byte, text string, ci *waE2E.ContextInfo) (*waE2E.Message, bool) {
	var f waE2E.Message
	if proto.Unmarshal(file, &f) != nil {
		return nil, false
	}
	var capt *string
	if text != "" {
		capt = proto.String(text)
	}
	switch {
	case f.ImageMessage != nil:
		f.ImageMessage.Caption, f.ImageMessage.ContextInfo = capt, ci
		return &f, true
	case f.VideoMessage != nil:
		f.VideoMessage.Caption, f.VideoMessage.ContextInfo = capt, ci
		return &f, true
	case f.DocumentMessage != nil:
		f.DocumentMessage.Caption, f.DocumentMessage.ContextInfo = capt, ci
		if capt == nil {
			return &f, true
		}
		return &waE2E.Message{DocumentWithCaptionMessage: &waE2E.FutureProofMessage{Message: &f}}, true
	}
	return nil, false
}

// editContent is the new content of a correction of the user's message
// target (text with its mentions), and the message it edits: the
// target, or the text sent after an audio file.
func editContent(target quoted, text string, mentions []string) (*waE2E.Message, string, error) {
	m := target.Meta
	if m.File == nil {
		return textMessage(text, nil, mentions), target.ID, nil
	}
	if c, ok := captionEdit(m.File, text, contextInfo(nil, mentions)); ok {
		return c, target.ID, nil
	}
	if m.TextPart && len(m.Parts) > 0 {
		return textMessage(text, nil, mentions), m.Parts[0], nil
	}
	// A poll or a location: WhatsApp's apps apply no text edit to one,
	// which would show corrected on XMPP alone.
	var f waE2E.Message
	if proto.Unmarshal(m.File, &f) == nil {
		switch {
		case f.LocationMessage != nil:
			return nil, "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "whatsapp: a shared location cannot be changed: share the new one")
		case f.PollCreationMessage != nil:
			return nil, "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "whatsapp: a poll cannot be corrected (WhatsApp has no way to): delete it and start a new one")
		}
	}
	return nil, "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "whatsapp: this file (a voice note, an audio file, a sticker, a video note or a contact card) has no caption to correct: send the text as a new message")
}
