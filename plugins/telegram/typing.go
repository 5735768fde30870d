package telegram

import (
	"context"
	"time"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/typingkeep"
)

// Telegram shows a chat action for a few seconds only: an update of
// typing "is valid for 6 seconds" (core.telegram.org/constructor/updateUserTyping),
// the Bot API's sendChatAction "for 5 seconds or less"; the apps say it
// again every 5 s while the user types. XMPP clients say composing once,
// so the session says it again every typingRepeat, for at most
// typingHold after the user last said composing.
const (
	typingRepeat = 4 * time.Second
	typingHold   = 30 * time.Second
	// typingValidMs is how long a contact's chat action holds without
	// being said again (TypingEvent.timeout_ms): 6 s, as above.
	typingValidMs = 6000
)

// typingKeeper is the session's repeater of the user's typing.
func (s *Session) typingKeeper() *typingkeep.Keeper {
	return s.typing.Get(typingRepeat, typingHold, func(ctx context.Context, chat string) error {
		return s.sayTyping(ctx, chat, pb.TypingState_TYPING_STATE_COMPOSING)
	})
}

// SetTyping says the user types, or stopped; while they type, it is
// said again until they stop, send a message there, leave the chat or
// the login disconnects (or typingHold after their last composing).
func (s *Session) SetTyping(ctx context.Context, c sdk.Call, state pb.TypingState) error {
	return s.typingKeeper().Set(ctx, c.ChatID, state == pb.TypingState_TYPING_STATE_COMPOSING, func(ctx context.Context) error {
		return s.sayTyping(ctx, c.ChatID, state)
	})
}

// sayTyping tells Telegram the user's chat state in chat.
func (s *Session) sayTyping(ctx context.Context, chat string, state pb.TypingState) error {
	if s.bot != nil {
		return s.bot.SetTyping(ctx, sdk.Call{ChatID: chat}, state)
	}
	api, _, err := s.client()
	if err != nil {
		return err
	}
	peer, err := s.inputPeer(ctx, api, chat)
	if err != nil {
		return err
	}
	var action tg.SendMessageActionClass = &tg.SendMessageCancelAction{}
	if state == pb.TypingState_TYPING_STATE_COMPOSING {
		action = &tg.SendMessageTypingAction{}
	}
	req := &tg.MessagesSetTypingRequest{Peer: peer, Action: action}
	if _, topic, err := splitTopic(chat); err == nil && topic != 0 {
		req.SetTopMsgID(topic)
	}
	_, err = api.MessagesSetTyping(ctx, req)
	return s.topicErr("typing", chat, err)
}
