package whatsapp

import (
	"context"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Pinned messages. WhatsApp pins a message for everyone in a chat with a
// PinInChatMessage naming it (its key) and how long the pin lasts; the
// apps show "X pinned a message" in the chat. Here a pin, anyone's, is a
// notice of the chat from whoever pinned (mediatext.PinText), a reply to
// the message pinned, under the pin message's own ID: the same pin again
// (after a restart, in history) is dropped by the host as a duplicate.
// From XMPP the user pins with "/pin" in a reply (sdk.Pinner).

var _ sdk.Pinner = (*Session)(nil)

// pinSeconds is how long a pin from XMPP lasts: 7 days, the default of
// WhatsApp's phones, which offer 24 hours, 7 days and 30 days (the pin
// then drops by itself on every device).
const pinSeconds = 7 * 24 * 60 * 60

// pinMessage pins (or unpins) q in chat for everyone, as the phones
// send it: the message's key, the pin's kind, the sender's time, and
// the pin's length beside it (MessageContextInfo).
func pinMessage(chat types.JID, q quoted, unpin bool, now time.Time) *waE2E.Message {
	typ := waE2E.PinInChatMessage_PIN_FOR_ALL
	if unpin {
		typ = waE2E.PinInChatMessage_UNPIN_FOR_ALL
	}
	m := &waE2E.Message{PinInChatMessage: &waE2E.PinInChatMessage{
		Key:               messageKey(chat, q),
		Type:              typ.Enum(),
		SenderTimestampMS: proto.Int64(now.UnixMilli()),
	}}
	if !unpin {
		m.MessageContextInfo = &waE2E.MessageContextInfo{MessageAddOnDurationInSecs: proto.Uint32(pinSeconds)}
	}
	return m
}

// pinNotice makes ev (its chat, sender, time and ID set) the notice
// that target was pinned or unpinned.
func pinNotice(ev *pb.Event, target string, unpin bool) *pb.Event {
	ev.Meta = nil // nothing to act on: no message of the sender's
	ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: mediatext.PinText(unpin), ReplyToId: target}}
	return ev
}

// pinEvent is a pin or unpin received (live, or as a message of
// history), from whoever pinned; nil for one of a kind not known or
// naming no message.
func (c inbound) pinEvent(info *types.MessageInfo, p *waE2E.PinInChatMessage) *pb.Event {
	target := p.GetKey().GetID()
	if target == "" {
		return nil
	}
	switch p.GetType() {
	case waE2E.PinInChatMessage_PIN_FOR_ALL:
		return pinNotice(c.base(info), target, false)
	case waE2E.PinInChatMessage_UNPIN_FOR_ALL:
		return pinNotice(c.base(info), target, true)
	}
	return nil
}

// pinStub is the line WhatsApp Web keeps in a chat's history for a pin
// (a PINNED_MESSAGE_IN_CHAT stub carrying the pin), as its notice.
func (c inbound) pinStub(info *types.MessageInfo, p *waWeb.PinInChat) *pb.Event {
	typ := waE2E.PinInChatMessage_UNKNOWN_TYPE
	switch p.GetType() {
	case waWeb.PinInChat_PIN_FOR_ALL:
		typ = waE2E.PinInChatMessage_PIN_FOR_ALL
	case waWeb.PinInChat_UNPIN_FOR_ALL:
		typ = waE2E.PinInChatMessage_UNPIN_FOR_ALL
	}
	return c.pinEvent(info, &waE2E.PinInChatMessage{Key: p.GetKey(), Type: typ.Enum()})
}

// Pin pins (or unpins) a message for everyone in the chat. A group
// whose settings only its admins may edit (WhatsApp's "Edit group
// settings", which covers pins) refuses a user who is none, before
// anything is sent. WhatsApp does not send the user's own pin back to
// the device that sent it: its notice is emitted here, once, under the
// pin message's ID (the same for the gateway's resend of the command).
func (s *Session) Pin(ctx context.Context, c sdk.Call, p *pb.Pin) error {
	chat, err := parseChatID(c.ChatID)
	if err != nil {
		return err
	}
	m, err := decodeMeta(p.TargetMeta)
	if err != nil {
		return err
	}
	what := "pin"
	if p.Unpin {
		what = "unpin"
	}
	if s.settingsKeptFromUser(ctx, chat) {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: %s: only the group's admins may pin messages in it", what)
	}
	made := now()
	resp, err := s.d.cli.SendMessage(ctx, chat, pinMessage(chat, quoted{ID: p.TargetId, Meta: m}, p.Unpin, made), s.sendID(c, 0))
	if err != nil {
		return pinErr(what, chat, err)
	}
	// Kept as the other devices keep it: from the time the message says.
	s.keepPin(chatIDOf(s.ids, chat), p.TargetId, time.UnixMilli(made.UnixMilli()), pinSeconds, p.Unpin)
	at := resp.Timestamp
	if at.IsZero() {
		at = now()
	}
	ev := &pb.Event{ChatId: c.ChatID, ChatType: chatTypeOf(chat), Sender: &pb.Sender{UserId: s.login.LoginID, IsFromMe: true},
		TimestampUnixMicro: at.UnixMicro(), EventId: string(resp.ID)}
	s.emitDurable(pinNotice(ev, p.TargetId, p.Unpin))
	return nil
}

// pinErr is a refusal of a pin in chat as a typed error: WhatsApp's
// refusal of the message itself (its error code in the
// acknowledgement: 401 or 403, not allowed here) is NOT_ALLOWED.
func pinErr(what string, chat types.JID, err error) error {
	if code := serverCode(err); code == 401 || code == 403 {
		why := ""
		if chat.Server == types.GroupServer {
			why = "; the group may let only its admins pin"
		}
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: %s: WhatsApp does not let you (%d%s)", what, code, why)
	}
	return sendErr(what, err)
}
