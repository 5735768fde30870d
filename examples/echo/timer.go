package echo

import (
	"context"
	"time"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// MaxTimer is the longest disappearing-messages timer the echo network
// offers; a longer one is refused, as networks refuse lengths they do
// not offer.
const MaxTimer = 90 * 24 * time.Hour

// SetChatTimer sets a chat's disappearing-messages timer: from then on
// the user's messages there and their echoes are deleted that long after
// they are sent (the gateway retracts them). The change is told as a
// notice of the user's, as a change from another device would be.
func (s *Session) SetChatTimer(_ context.Context, c sdk.Call, ttl time.Duration) error {
	if err := s.inChat(c); err != nil {
		return err
	}
	if ttl > MaxTimer {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "the echo network offers timers of at most 90 days")
	}
	key := s.loginID + "\x00" + c.ChatID
	if ttl == 0 {
		s.n.timers.Delete(key)
	} else {
		s.n.timers.Store(key, ttl)
	}
	ev := s.event(c)
	ev.Sender = &pb.Sender{UserId: s.loginID, IsFromMe: true}
	ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: mediatext.TimerText(ttl)}}
	s.emit(ev)
	return nil
}

// chatTimer is the chat's timer; 0: none.
func (s *Session) chatTimer(chatID string) time.Duration {
	if v, ok := s.n.timers.Load(s.loginID + "\x00" + chatID); ok {
		return v.(time.Duration)
	}
	return 0
}
