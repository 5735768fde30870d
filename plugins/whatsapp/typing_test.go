package whatsapp

import (
	"context"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// WhatsApp's composing fades unless said again, while XMPP clients say
// composing once: the user's typing is said again while they compose,
// and no more once they pause, send a message there, or disconnect.
func TestTypingRepeated(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	s.typing.Every = 5 * time.Millisecond
	ctx := context.Background()
	const chat = "+33611111111"
	composing := func() {
		t.Helper()
		from := len(fake.Typings())
		if err := s.SetTyping(ctx, sdk.Call{ChatID: chat}, pb.TypingState_TYPING_STATE_COMPOSING); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(20 * time.Second); len(fake.Typings()) < from+3; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("typing not said again: %v", fake.Typings()[from:])
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
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: chat}, &pb.SendMessage{Text: "done typing"}); err != nil {
		t.Fatal(err)
	}
	stopped("a message")
	composing()
	if err := s.SetTyping(ctx, sdk.Call{ChatID: chat}, pb.TypingState_TYPING_STATE_PAUSED); err != nil {
		t.Fatal(err)
	}
	stopped("paused")
	if ty := fake.Typings(); ty[len(ty)-1].State != types.ChatPresencePaused {
		t.Errorf("last typing %v, want paused", ty[len(ty)-1])
	}
	composing()
	if err := s.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	stopped("Disconnect")
}
