package whatsapp

import (
	"context"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types/events"
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
