package whatsapp

import (
	"context"
	"crypto/rand"
	"errors"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// decryptSecret turns a reaction, a comment or an event's change sent
// encrypted into the plain one it is (an event's change: a correction of
// the event): members of a community's announcement group react
// and comment so, encrypted with the announcement's secret, and
// whatsmeow hands them over as such (a reaction was dropped as
// bookkeeping, a comment shown as a message of a kind the plugin cannot
// show). A comment is a reply to its announcement. A comment, an
// event's change or a correction that cannot be read (the message came
// before the device was linked, or was forgotten; a kind the pinned
// whatsmeow cannot decrypt) becomes a notice replying to its message,
// to look at the phone: they were dropped, a member's words or an
// event's new time lost without a word. false for a reaction that
// cannot be read: logged, dropped.
func (s *Session) decryptSecret(e *events.Message) bool {
	ctx := context.Background()
	switch {
	case e.Message.GetEncReactionMessage() != nil:
		enc := e.Message.GetEncReactionMessage()
		r, err := s.d.cli.DecryptReaction(ctx, e)
		if err != nil {
			s.log.Info("encrypted reaction not read", "id", e.Info.ID, "chat", e.Info.Chat, "target", enc.GetTargetMessageKey().GetID(), "err", err)
			return false
		}
		r.Key = enc.GetTargetMessageKey()
		e.Message = &waE2E.Message{ReactionMessage: r, MessageContextInfo: e.Message.GetMessageContextInfo()}
	case e.Message.GetEncCommentMessage() != nil:
		enc := e.Message.GetEncCommentMessage()
		m, err := s.d.cli.DecryptComment(ctx, e)
		if err != nil {
			s.log.Info("encrypted comment not read", "id", e.Info.ID, "chat", e.Info.Chat, "target", enc.GetTargetMessageKey().GetID(), "err", err)
			e.Message = unreadSecret("A comment", enc.GetTargetMessageKey())
			return true
		}
		e.Message = replyTo(m, enc.GetTargetMessageKey())
	case e.Message.GetSecretEncryptedMessage().GetSecretEncType() == waE2E.SecretEncryptedMessage_EVENT_EDIT:
		// An event changed or cancelled by its creator: a correction
		// of the event's message, its new content (it was dropped, the
		// room keeping the old time, or a cancelled event as planned).
		enc := e.Message.GetSecretEncryptedMessage()
		m, err := s.d.cli.DecryptSecretEncryptedMessage(ctx, e)
		if err != nil {
			s.log.Info("event's change not read", "id", e.Info.ID, "chat", e.Info.Chat, "target", enc.GetTargetMessageKey().GetID(), "err", err)
			e.Message = unreadSecret("A change to this event", enc.GetTargetMessageKey())
			return true
		}
		e.Message = &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_MESSAGE_EDIT.Enum(),
			Key: enc.GetTargetMessageKey(), EditedMessage: m}, MessageContextInfo: e.Message.GetMessageContextInfo()}
	case e.Message.GetSecretEncryptedMessage() != nil:
		// Another kind (a correction encrypted so, MESSAGE_EDIT, or
		// one newer): the pinned whatsmeow decrypts event changes only.
		enc := e.Message.GetSecretEncryptedMessage()
		s.log.Info("encrypted change not read: a kind whatsmeow cannot decrypt", "id", e.Info.ID, "chat", e.Info.Chat,
			"target", enc.GetTargetMessageKey().GetID(), "type", enc.GetSecretEncType().String())
		what := "A correction of this message"
		if enc.GetSecretEncType() != waE2E.SecretEncryptedMessage_MESSAGE_EDIT {
			// A kind newer than the pinned whatsmeow: not known to be
			// a correction, so not called one.
			what = "Something about this message"
		}
		e.Message = unreadSecret(what, enc.GetTargetMessageKey())
	}
	return true
}

// unreadSecret is the notice of what (a comment, a change) sent
// encrypted with key's message's secret that could not be read: a reply
// to that message, to look at the phone.
func unreadSecret(what string, key *waCommon.MessageKey) *waE2E.Message {
	return replyTo(&waE2E.Message{Conversation: proto.String("⚠ " + what + " the gateway cannot read: see it " + onPhone + ".")}, key)
}

// replyTo makes m a reply to the message key names, unless it replies
// to one already: a plain text becomes an extended one, which can.
func replyTo(m *waE2E.Message, key *waCommon.MessageKey) *waE2E.Message {
	if m.Conversation != nil {
		m = &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: m.Conversation}, MessageContextInfo: m.MessageContextInfo}
	}
	slot := contextSlot(m)
	if slot == nil {
		return m
	}
	if *slot == nil {
		*slot = &waE2E.ContextInfo{}
	}
	if (*slot).GetStanzaID() == "" {
		(*slot).StanzaID, (*slot).Participant = proto.String(key.GetID()), proto.String(key.GetParticipant())
	}
	return m
}

// communityAnnouncements says whether chat is a community's
// announcement group, as the plugin keeps it (the groups' list read at
// the start, and their notifications since): a send does not wait for
// WhatsApp to tell.
func (s *Session) communityAnnouncements(chat types.JID) bool {
	if chat.Server != types.GroupServer {
		return false
	}
	g, ok := s.cachedGroup(chat)
	return ok && g.IsDefaultSubGroup
}

// encryptReaction is the user's reaction msg to target in a community's
// announcement group as the apps send it there: encrypted with the
// message's secret (mautrix-whatsapp sends it so, with the same meta).
// A message whose secret was not kept (it came before the device was
// linked) is NOT_FOUND.
func (s *Session) encryptReaction(ctx context.Context, chat types.JID, target quoted, msg *waE2E.Message) (*waE2E.Message, whatsmeow.SendRequestExtra, error) {
	sender := target.Meta.Sender
	if target.Meta.FromMe {
		sender = s.ownJID()
	}
	root := &types.MessageInfo{MessageSource: types.MessageSource{Chat: chat, Sender: sender, IsFromMe: target.Meta.FromMe, IsGroup: true}, ID: target.ID}
	enc, err := s.d.cli.EncryptReaction(ctx, root, msg.GetReactionMessage())
	if errors.Is(err, whatsmeow.ErrOriginalMessageSecretNotFound) {
		return nil, whatsmeow.SendRequestExtra{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND,
			"whatsapp: this announcement's key was not kept (it came before this device was linked): react on your phone")
	} else if err != nil {
		return nil, whatsmeow.SendRequestExtra{}, s.sendErr("react", err)
	}
	return &waE2E.Message{EncReactionMessage: enc}, whatsmeow.SendRequestExtra{Meta: &types.MsgMetaInfo{DeprecatedLIDSession: proto.Bool(false)}}, nil
}

// withSecret gives a message the user sends in a community's
// announcement group a message secret, as the apps give theirs there
// (mautrix-whatsapp too): the members' reactions to it are encrypted
// with it, and whatsmeow keeps it when it sends the message.
func withSecret(m *waE2E.Message) *waE2E.Message {
	if m.MessageContextInfo == nil {
		m.MessageContextInfo = &waE2E.MessageContextInfo{}
	}
	if m.MessageContextInfo.MessageSecret == nil {
		secret := make([]byte, 32)
		rand.Read(secret)
		m.MessageContextInfo.MessageSecret = secret
	}
	return m
}
