package whatsapp

import (
	"math"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Converters from the contract's commands to WhatsApp messages: pure
// functions, table-tested in convert_out_test.go. The time is a parameter
// so that tests are exact.

// quoted is the message a reply or an action names.
type quoted struct {
	ID   string
	Meta msgMeta
}

// messageKey names a message of chat, as WhatsApp keys it: by ID, whether
// the user sent it and, in a group, who did.
func messageKey(chat types.JID, q quoted) *waCommon.MessageKey {
	key := &waCommon.MessageKey{FromMe: proto.Bool(q.Meta.FromMe), ID: proto.String(q.ID), RemoteJID: proto.String(chat.String())}
	if !q.Meta.FromMe && chat.Server != types.DefaultUserServer && chat.Server != types.HiddenUserServer {
		key.Participant = proto.String(q.Meta.Sender.ToNonAD().String())
	}
	return key
}

// contextInfo is the ContextInfo of a reply and mentions; nil when there
// is neither.
func contextInfo(reply *quoted, mentions []string) *waE2E.ContextInfo {
	if reply == nil && len(mentions) == 0 {
		return nil
	}
	ci := &waE2E.ContextInfo{MentionedJID: mentions}
	if reply != nil {
		ci.StanzaID = proto.String(reply.ID)
		ci.Participant = proto.String(reply.Meta.Sender.ToNonAD().String())
		// The apps show the quoted text from their own copy; an empty
		// quoted message is what they accept when they have none.
		ci.QuotedMessage = &waE2E.Message{Conversation: proto.String("")}
	}
	return ci
}

// textMessage is a text message: a plain Conversation, or an
// ExtendedTextMessage when it replies or mentions.
func textMessage(text string, reply *quoted, mentions []string) *waE2E.Message {
	ci := contextInfo(reply, mentions)
	if ci == nil {
		return &waE2E.Message{Conversation: proto.String(text)}
	}
	return &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String(text), ContextInfo: ci}}
}

// locationMessage is a map pin, with its accuracy in whole metres where
// the geo: URI gave one.
func locationMessage(l mediatext.SentLocation, reply *quoted) *waE2E.Message {
	m := &waE2E.LocationMessage{DegreesLatitude: proto.Float64(l.Lat), DegreesLongitude: proto.Float64(l.Long), ContextInfo: contextInfo(reply, nil)}
	if l.Accuracy > 0 {
		m.AccuracyInMeters = proto.Uint32(uint32(math.Ceil(min(l.Accuracy, math.MaxUint32))))
	}
	return &waE2E.Message{LocationMessage: m}
}

// editMessage replaces the text of the user's own message id in chat.
func editMessage(chat types.JID, id string, content *waE2E.Message, now time.Time) *waE2E.Message {
	return &waE2E.Message{EditedMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{
		ProtocolMessage: &waE2E.ProtocolMessage{
			Key:           &waCommon.MessageKey{FromMe: proto.Bool(true), ID: proto.String(id), RemoteJID: proto.String(chat.String())},
			Type:          waE2E.ProtocolMessage_MESSAGE_EDIT.Enum(),
			EditedMessage: content,
			TimestampMS:   proto.Int64(now.UnixMilli()),
		},
	}}}
}

// revokeMessage deletes a message for everyone (the user's own, or, as a
// group admin, someone else's).
func revokeMessage(chat types.JID, q quoted) *waE2E.Message {
	return &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
		Type: waE2E.ProtocolMessage_REVOKE.Enum(),
		Key:  messageKey(chat, q),
	}}
}

// reactionMessage sets the user's reaction: WhatsApp has one per user, so
// of a set the last counts; an empty set removes it (empty text).
func reactionMessage(chat types.JID, q quoted, emojis []string, now time.Time) *waE2E.Message {
	text := ""
	if len(emojis) > 0 {
		text = emojis[len(emojis)-1]
	}
	return &waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{
		Key:               messageKey(chat, q),
		Text:              proto.String(text),
		SenderTimestampMS: proto.Int64(now.UnixMilli()),
	}}
}

// mediaKind is how WhatsApp sends a file of this MIME type: a photo or
// video only in the formats its apps show (their own are JPEG photos
// and MP4 videos; PNG shows too), any other as a document, which opens
// on the phone: a WebP photo is dropped without a word by the apps
// (purple-gowhatsapp's tries, its pull request 273), a GIF shows still;
// a WebM or QuickTime video is no format the apps send (they convert to
// MP4), and not known to play.
func mediaKind(mime string, voice bool) whatsmeow.MediaType {
	switch base := baseType(mime); {
	case base == "image/jpeg" || base == "image/jpg" || base == "image/png":
		return whatsmeow.MediaImage
	case base == "video/mp4" || base == "video/3gpp":
		return whatsmeow.MediaVideo
	case strings.HasPrefix(base, "audio/") || voice:
		return whatsmeow.MediaAudio
	}
	return whatsmeow.MediaDocument
}

// oggAudio tells an Ogg audio type: WhatsApp's voice notes are Ogg Opus
// on every app (whatsmeow's own example sends "audio/ogg; codecs=opus"
// as PTT), so a voice note in another format (an AAC recording in MP4)
// that ffmpeg could not convert (voiceconv.go) goes as an audio file,
// which plays, not as a voice note that may not.
func oggAudio(mime string) bool { return baseType(mime) == "audio/ogg" }

// baseType is a MIME type without its parameters, in lower case.
func baseType(mime string) string {
	base, _, _ := strings.Cut(mime, ";")
	return strings.ToLower(strings.TrimSpace(base))
}

// mediaMessage is the message of an uploaded file with its caption.
func mediaMessage(a *pb.Attachment, up whatsmeow.UploadResponse, caption string, ci *waE2E.ContextInfo) *waE2E.Message {
	mime := a.MimeType
	if mime == "" {
		mime = "application/octet-stream"
	}
	var capt *string
	if caption != "" {
		capt = proto.String(caption)
	}
	var thumb []byte
	if a.ThumbnailMime == "image/jpeg" {
		thumb = a.Thumbnail
	}
	switch mediaKind(mime, a.VoiceNote) {
	case whatsmeow.MediaImage:
		return &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
			URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath), MediaKey: up.MediaKey,
			FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: proto.Uint64(up.FileLength),
			Mimetype: proto.String(mime), Caption: capt, JPEGThumbnail: thumb, ContextInfo: ci,
			Width: u32(a.Width), Height: u32(a.Height),
		}}
	case whatsmeow.MediaVideo:
		return &waE2E.Message{VideoMessage: &waE2E.VideoMessage{
			URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath), MediaKey: up.MediaKey,
			FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: proto.Uint64(up.FileLength),
			Mimetype: proto.String(mime), Caption: capt, JPEGThumbnail: thumb, ContextInfo: ci,
			Width: u32(a.Width), Height: u32(a.Height), Seconds: u32(int32(a.DurationMs / 1000)),
		}}
	case whatsmeow.MediaAudio:
		return &waE2E.Message{AudioMessage: &waE2E.AudioMessage{
			URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath), MediaKey: up.MediaKey,
			FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: proto.Uint64(up.FileLength),
			Mimetype: proto.String(mime), PTT: proto.Bool(a.VoiceNote && oggAudio(mime)), ContextInfo: ci,
			Seconds: u32(int32(a.DurationMs / 1000)),
		}}
	}
	name := a.Name
	if name == "" {
		// The receiving apps open a document by its name's extension:
		// one from its type (mediaext.go), where a bare "file" opened
		// as nothing.
		name = "file" + extFor(mime)
	}
	doc := &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{
		URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath), MediaKey: up.MediaKey,
		FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: proto.Uint64(up.FileLength),
		Mimetype: proto.String(mime), FileName: proto.String(name), Title: proto.String(name),
		Caption: capt, JPEGThumbnail: thumb, ContextInfo: ci,
	}}
	if capt != nil {
		// A document with a caption goes wrapped, as WhatsApp's apps
		// send it (WhatsApp Web wraps a captioned document so): whether
		// they show the caption of a bare one is not known.
		doc = &waE2E.Message{DocumentWithCaptionMessage: &waE2E.FutureProofMessage{Message: doc}}
	}
	return doc
}

func u32(v int32) *uint32 {
	if v <= 0 {
		return nil
	}
	return proto.Uint32(uint32(v))
}

// chatPresenceOf is WhatsApp's typing state for the user's chat state:
// WhatsApp knows composing and paused, and recording for voice.
func chatPresenceOf(state pb.TypingState) types.ChatPresence {
	if state == pb.TypingState_TYPING_STATE_COMPOSING {
		return types.ChatPresenceComposing
	}
	return types.ChatPresencePaused
}

// presenceOf is WhatsApp's presence for the user's: available or not.
func presenceOf(p *pb.Presence) types.Presence {
	switch p.GetShow() {
	case pb.PresenceShow_PRESENCE_SHOW_AVAILABLE, pb.PresenceShow_PRESENCE_SHOW_CHAT, pb.PresenceShow_PRESENCE_SHOW_UNKNOWN:
		return types.PresenceAvailable
	}
	return types.PresenceUnavailable
}
