package whatsapp

import (
	"context"
	"time"

	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/typingkeep"
)

// WhatsApp's composing chat presence ends by silence, and neither
// whatsmeow nor WhatsApp documents for how long. What is known comes
// from the libraries that speak WhatsApp Web's protocol: Baileys'
// documentation says a presence "expires after approximately 10
// seconds" and is to be sent again to keep "typing..." shown, and
// mautrix-whatsapp holds a contact's composing for 15 s
// (WATypingTimeout). So a contact's composing holds typingValidMs, and
// the user's, said once by XMPP clients, is said again every
// typingRepeat, for at most typingHold after their last composing.
const (
	typingRepeat  = 8 * time.Second
	typingHold    = 30 * time.Second
	typingValidMs = 15000
)

// typingKeeper is the session's repeater of the user's typing.
func (s *Session) typingKeeper() *typingkeep.Keeper {
	return s.typing.Get(typingRepeat, typingHold, func(ctx context.Context, chat string) error {
		return s.sayTyping(ctx, chat, pb.TypingState_TYPING_STATE_COMPOSING)
	})
}

// SetTyping forwards the user's typing; while they compose, it is said
// again until they stop, send a message there, leave the group or the
// login disconnects (or typingHold after their last composing).
func (s *Session) SetTyping(ctx context.Context, c sdk.Call, state pb.TypingState) error {
	return s.typingKeeper().Set(ctx, c.ChatID, state == pb.TypingState_TYPING_STATE_COMPOSING, func(ctx context.Context) error {
		return s.sayTyping(ctx, c.ChatID, state)
	})
}

// sayTyping sends the user's chat state in chat.
func (s *Session) sayTyping(ctx context.Context, chatID string, state pb.TypingState) error {
	chat, err := parseChatID(chatID)
	if err != nil {
		return err
	}
	if err := s.d.cli.SendChatPresence(ctx, chat, chatPresenceOf(state), types.ChatPresenceMediaText); err != nil {
		return s.sendErr("typing", err)
	}
	return nil
}
