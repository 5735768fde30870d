package telegram

import (
	"context"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Chat actions that announce no message are no typing: a member speaking
// in a group call, an animated emoji tapped or seen, a game played, a
// history import; writing and recording are, a cancel pauses.
func TestTypingActions(t *testing.T) {
	s, _ := unitSession(t)
	ctx := context.Background()
	for _, a := range []tg.SendMessageActionClass{&tg.SpeakingInGroupCallAction{}, &tg.SendMessageEmojiInteraction{Emoticon: "🎉"},
		&tg.SendMessageEmojiInteractionSeen{Emoticon: "🎉"}, &tg.SendMessageGamePlayAction{}, &tg.SendMessageHistoryImportAction{Progress: 5}} {
		if evs := s.convert(ctx, &tg.UpdateChatUserTyping{ChatID: 77, FromID: &tg.PeerUser{UserID: 1002}, Action: a}); len(evs) != 0 {
			t.Errorf("%T: events %v, want none", a, evs)
		}
		if evs := s.convert(ctx, &tg.UpdateUserTyping{UserID: 1002, Action: a}); len(evs) != 0 {
			t.Errorf("%T in a private chat: events %v, want none", a, evs)
		}
	}
	for a, want := range map[tg.SendMessageActionClass]pb.TypingState{
		&tg.SendMessageTypingAction{}:      pb.TypingState_TYPING_STATE_COMPOSING,
		&tg.SendMessageRecordAudioAction{}: pb.TypingState_TYPING_STATE_COMPOSING,
		&tg.SendMessageCancelAction{}:      pb.TypingState_TYPING_STATE_PAUSED,
	} {
		if evs := s.convert(ctx, &tg.UpdateChatUserTyping{ChatID: 77, FromID: &tg.PeerUser{UserID: 1002}, Action: a}); len(evs) != 1 || evs[0].GetTyping().GetState() != want || evs[0].ChatId != "-77" {
			t.Errorf("%T: events %v, want %v in -77", a, evs, want)
		}
	}
}

// The account's own status (another device online) is no contact's
// presence.
func TestOwnStatusNoPresence(t *testing.T) {
	s, _ := unitSession(t)
	if evs := s.convert(context.Background(), &tg.UpdateUserStatus{UserID: 1001, Status: &tg.UserStatusOnline{}}); len(evs) != 0 {
		t.Errorf("own status: events %v, want none", evs)
	}
	if evs := s.convert(context.Background(), &tg.UpdateUserStatus{UserID: 1002, Status: &tg.UserStatusOnline{}}); len(evs) != 1 || evs[0].GetPresence() == nil {
		t.Errorf("bob's status: events %v, want his presence", evs)
	}
}
