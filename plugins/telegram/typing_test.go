package telegram

import (
	"context"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
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
		// Composing holds 6 s unless said again (updateUserTyping).
		var ms uint32
		if want == pb.TypingState_TYPING_STATE_COMPOSING {
			ms = 6000
		}
		if evs := s.convert(ctx, &tg.UpdateChatUserTyping{ChatID: 77, FromID: &tg.PeerUser{UserID: 1002}, Action: a}); len(evs) != 1 || evs[0].GetTyping().GetState() != want || evs[0].GetTyping().GetTimeoutMs() != ms || evs[0].ChatId != "-77" {
			t.Errorf("%T: events %v, want %v in -77 holding %d ms", a, evs, want, ms)
		}
		if evs := s.convert(ctx, &tg.UpdateUserTyping{UserID: 1002, Action: a}); len(evs) != 1 || evs[0].GetTyping().GetTimeoutMs() != ms {
			t.Errorf("%T in a private chat: events %v, want holding %d ms", a, evs, ms)
		}
	}
}

// Telegram drops a chat action after 6 s, while XMPP clients say
// composing once: the user's typing is said again while they compose,
// and no more once they pause, send a message there, or disconnect.
func TestTypingRepeated(t *testing.T) {
	srv := newFake(t)
	s, _, _, _ := connectAlice(t, srv)
	s.typing.Every = 5 * time.Millisecond
	ctx := ctxT(t)
	composing := func() {
		t.Helper()
		if err := s.SetTyping(ctx, sdk.Call{ChatID: "1002"}, pb.TypingState_TYPING_STATE_COMPOSING); err != nil {
			t.Fatal(err)
		}
		from := len(srv.Typings())
		for deadline := time.Now().Add(20 * time.Second); len(srv.Typings()) < from+2; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("typing not said again: %v", srv.Typings())
			}
		}
	}
	stopped := func(after string) {
		t.Helper()
		if n := s.typingKeeper().Repeating(); n != 0 {
			t.Errorf("after %s: %d chats with typing repeated, want none", after, n)
		}
	}
	composing()
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002"}, &pb.SendMessage{Text: "done typing"}); err != nil {
		t.Fatal(err)
	}
	stopped("a message")
	composing()
	if err := s.SetTyping(ctx, sdk.Call{ChatID: "1002"}, pb.TypingState_TYPING_STATE_PAUSED); err != nil {
		t.Fatal(err)
	}
	stopped("paused")
	if ty := srv.Typings(); len(ty) == 0 {
		t.Error("no typing")
	} else if _, ok := ty[len(ty)-1].Action.(*tg.SendMessageCancelAction); !ok {
		t.Errorf("last typing %v, want the cancel of paused", ty[len(ty)-1])
	}
	composing()
	if err := s.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	stopped("Disconnect")
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
