package whatsapp

import (
	"context"
	"crypto/rand"
	"errors"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// decryptReaction turns a reaction sent encrypted into the plain one it
// is: members of a community's announcement group react so, encrypted
// with the message's secret, and whatsmeow hands it over as such (it was
// dropped as bookkeeping). false when it cannot be read (the message
// came before the device was linked, or was forgotten): logged, dropped.
func (s *Session) decryptReaction(e *events.Message) bool {
	enc := e.Message.GetEncReactionMessage()
	if enc == nil {
		return true
	}
	r, err := s.d.cli.DecryptReaction(context.Background(), e)
	if err != nil {
		s.log.Info("encrypted reaction not read", "id", e.Info.ID, "chat", e.Info.Chat, "target", enc.GetTargetMessageKey().GetID(), "err", err)
		return false
	}
	r.Key = enc.GetTargetMessageKey()
	e.Message = &waE2E.Message{ReactionMessage: r, MessageContextInfo: e.Message.GetMessageContextInfo()}
	return true
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
		return nil, whatsmeow.SendRequestExtra{}, sendErr("react", err)
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
