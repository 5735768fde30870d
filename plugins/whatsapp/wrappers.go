package whatsapp

import (
	"fmt"
	"slices"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// WhatsApp wraps a message's content in FutureProofMessage fields.
// whatsmeow's UnwrapRaw takes off some of them (device sent, bot invoke,
// ephemeral, view once, Lottie sticker, document with caption, edited),
// each once and in its own order; the others, and those nested in
// another order, left the content wrapped, and the message read as one
// of a kind the plugin cannot show. unwrap takes them all off.

// maxWrapping bounds how deep wrappers nest (they nest two or three deep
// at most; the bound stops a crafted message).
const maxWrapping = 8

// spoilerField is the Message field of a spoiler, content hidden until
// tapped (a FutureProofMessage): newer than the pinned whatsmeow, whose
// proto keeps it as an unknown field (whatsmeow's later
// WAWebProtobufsE2E.proto: "optional FutureProofMessage spoilerMessage =
// 118").
const spoilerField protowire.Number = 118

// spoilerMessage is content wrapped as WhatsApp's apps send a spoiler,
// the whole message hidden until tapped: the FutureProofMessage in field
// spoilerField, as an unknown field (the pinned whatsmeow sends those as
// they are), the shape inner reads coming in. The wrapper itself has no
// content of its own; a message secret or a timer goes where the caller
// puts it (the timer on content, inside, as on any text).
func spoilerMessage(content *waE2E.Message) (*waE2E.Message, error) {
	b, err := proto.Marshal(&waE2E.FutureProofMessage{Message: content})
	if err != nil {
		return nil, fmt.Errorf("whatsapp: wrap a spoiler: %w", err)
	}
	out := &waE2E.Message{}
	out.ProtoReflect().SetUnknown(protowire.AppendBytes(protowire.AppendTag(nil, spoilerField, protowire.BytesType), b))
	return out, nil
}

// wholeSpoiler reports whether spans mark all of text as one spoiler
// (an XMPP message with XEP-0382's <spoiler/>), which WhatsApp can hide;
// a part of a text marked as one it cannot.
func wholeSpoiler(text string, spans []*pb.Span) bool {
	return text != "" && slices.ContainsFunc(spans, func(sp *pb.Span) bool {
		return sp.GetStyle() == pb.Span_STYLE_SPOILER && sp.GetStart() == 0 && int(sp.GetEnd()) == len(text)
	})
}

// wrapping is what the wrappers taken off a message said of its content.
type wrapping struct {
	spoiler     bool // a spoiler: shown marked as one
	groupStatus bool // a status shared with a group, in its chat
	addYours    bool // about a status's "Add yours" prompt
	viewOnce    bool // to be seen once: shown marked as such
}

// inner is the content msg wraps and what its wrapper says, or nil when
// msg wraps nothing; evt's flags are set as UnwrapRaw sets them.
func inner(msg *waE2E.Message, evt *events.Message, w *wrapping) *waE2E.Message {
	if msg == nil {
		return nil
	}
	switch {
	case msg.GetDeviceSentMessage().GetMessage() != nil:
		// The user's own from the phone: where it went (chatOf).
		d := msg.GetDeviceSentMessage()
		evt.Info.DeviceSentMeta = &types.DeviceSentMeta{DestinationJID: d.GetDestinationJID(), Phash: d.GetPhash()}
		return d.GetMessage()
	case msg.GetEphemeralMessage().GetMessage() != nil:
		evt.IsEphemeral = true
		return msg.GetEphemeralMessage().GetMessage()
	case msg.GetViewOnceMessage().GetMessage() != nil:
		evt.IsViewOnce, w.viewOnce = true, true
		return msg.GetViewOnceMessage().GetMessage()
	case msg.GetViewOnceMessageV2().GetMessage() != nil:
		evt.IsViewOnce, evt.IsViewOnceV2, w.viewOnce = true, true, true
		return msg.GetViewOnceMessageV2().GetMessage()
	case msg.GetViewOnceMessageV2Extension().GetMessage() != nil:
		evt.IsViewOnce, evt.IsViewOnceV2, evt.IsViewOnceV2Extension, w.viewOnce = true, true, true, true
		return msg.GetViewOnceMessageV2Extension().GetMessage()
	case msg.GetLottieStickerMessage().GetMessage() != nil:
		evt.IsLottieSticker = true
		return msg.GetLottieStickerMessage().GetMessage()
	case msg.GetDocumentWithCaptionMessage().GetMessage() != nil:
		evt.IsDocumentWithCaption = true
		return msg.GetDocumentWithCaptionMessage().GetMessage()
	case msg.GetEditedMessage().GetMessage() != nil:
		evt.IsEdit = true
		return msg.GetEditedMessage().GetMessage()
	case msg.GetBotInvokeMessage().GetMessage() != nil:
		evt.IsBotInvoke = true
		return msg.GetBotInvokeMessage().GetMessage()
	case msg.GetBotForwardedMessage().GetMessage() != nil:
		// A message forwarded from a chat with a bot (Meta AI).
		return msg.GetBotForwardedMessage().GetMessage()
	case msg.GetGroupMentionedMessage().GetMessage() != nil:
		// A message that mentions a group (a community's), as the
		// apps send one.
		return msg.GetGroupMentionedMessage().GetMessage()
	case msg.GetStatusMentionMessage().GetMessage() != nil:
		// The user mentioned in a contact's status: a protocol message
		// naming the status (STATUS_MENTION_MESSAGE), said as such.
		return msg.GetStatusMentionMessage().GetMessage()
	case msg.GetGroupStatusMentionMessage().GetMessage() != nil:
		// The group mentioned in a member's status: the same, in the group.
		return msg.GetGroupStatusMentionMessage().GetMessage()
	case msg.GetGroupStatusMessage().GetMessage() != nil:
		w.groupStatus = true
		return msg.GetGroupStatusMessage().GetMessage()
	case msg.GetGroupStatusMessageV2().GetMessage() != nil:
		w.groupStatus = true
		return msg.GetGroupStatusMessageV2().GetMessage()
	case msg.GetAssociatedChildMessage().GetMessage() != nil:
		// Each photo or video of an album (the apps send several at
		// once so), an event's cover.
		return msg.GetAssociatedChildMessage().GetMessage()
	case msg.GetLimitSharingMessage().GetMessage() != nil:
		// A chat's advanced chat privacy turned on or off: a protocol
		// message (LIMIT_SHARING), said as such (convert_in.go).
		return msg.GetLimitSharingMessage().GetMessage()
	case msg.GetStatusAddYours().GetMessage() != nil:
		// A status's "Add yours" prompt, or an answer to one.
		w.addYours = true
		return msg.GetStatusAddYours().GetMessage()
	case msg.GetQuestionMessage().GetMessage() != nil:
		return msg.GetQuestionMessage().GetMessage()
	case msg.GetQuestionReplyMessage().GetMessage() != nil:
		return msg.GetQuestionReplyMessage().GetMessage()
	}
	if m := unknownWrapped(msg, spoilerField); m != nil {
		w.spoiler = true
		return m
	}
	return nil
}

// unknownWrapped is the message in a FutureProofMessage field the pinned
// whatsmeow does not know (kept among msg's unknown fields), or nil.
func unknownWrapped(msg *waE2E.Message, field protowire.Number) *waE2E.Message {
	var fp waE2E.FutureProofMessage
	if !unknownField(msg, field, &fp) {
		return nil
	}
	return fp.GetMessage()
}

// unknownField reads into into the first field of msg's unknown fields
// numbered field (one the pinned whatsmeow does not know); false when
// msg has none, or it does not read as into.
func unknownField(msg *waE2E.Message, field protowire.Number, into proto.Message) bool {
	b := msg.ProtoReflect().GetUnknown()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false
		}
		b = b[n:]
		if num == field && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			return n >= 0 && proto.Unmarshal(v, into) == nil
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return false
		}
		b = b[n:]
	}
	return false
}

// unwrap takes off evt's content the wrappers whatsmeow left on it (as
// UnwrapRaw does, the wrapper's MessageContextInfo kept for content
// without one), associatedChildMessage included (each photo or video of
// an album). false for an associated message that repeats one shown
// already, to drop: the HD copy of a photo or video first sent in
// standard quality (its "dual upload"; the contract's corrections carry
// text only), a motion photo's video.
func unwrap(evt *events.Message) bool {
	var w wrapping
	for range maxWrapping {
		msg := evt.Message
		if repeats(msg) {
			return false // history shows an HD copy's file with the first (hdcopy.go)
		}
		in := inner(msg, evt, &w)
		if in == nil {
			return true
		}
		if in.MessageContextInfo == nil {
			in.MessageContextInfo = msg.GetMessageContextInfo()
		}
		evt.Message = in
	}
	return !repeats(evt.Message)
}

// repeats says whether msg is associated with another as a copy of it.
func repeats(msg *waE2E.Message) bool {
	t := msg.GetMessageContextInfo().GetMessageAssociation().GetAssociationType()
	return isHDCopy(t) || t == waE2E.MessageAssociation_MOTION_PHOTO
}

// wrappedAs is what the wrappers of a raw message (events.Message's
// RawMessage) said of its content.
func wrappedAs(raw *waE2E.Message) wrapping {
	_, w := unwrapped(raw)
	return w
}

// unwrapped is the content msg wraps (msg itself when it wraps nothing),
// and what its wrappers said of it: an edit's new content comes wrapped
// as the message it replaces did.
func unwrapped(msg *waE2E.Message) (*waE2E.Message, wrapping) {
	var w wrapping
	var scratch events.Message
	for range maxWrapping {
		in := inner(msg, &scratch, &w)
		if in == nil {
			break
		}
		msg = in
	}
	return msg, w
}

// spoiler marks a message's text and files as a spoiler, as WhatsApp
// hides them (a file's mark is Attachment.spoiler, which the gateway
// shows as XEP-0382's <spoiler/>); a file is also said to be one, for
// the clients that do not hide it.
func spoiler(m *pb.MessageEvent) {
	if m.Text != "" {
		m.Spans = append(m.Spans, &pb.Span{Start: 0, End: uint32(len(m.Text)), Style: pb.Span_STYLE_SPOILER})
		sortSpans(m.Spans)
	}
	for _, a := range m.Attachments {
		a.Spoiler = true
	}
	if len(m.Attachments) > 0 {
		prefix(m, "Spoiler:")
	}
}
