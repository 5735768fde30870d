package whatsapp

import (
	"context"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A text that starts with "//" and a letter goes with one slash less,
// as on Signal and IRC, so that the words of a gateway command ("/timer
// x") can be sent as text. "// note" keeps its slashes.
func TestEscapedChatCommandSent(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	call := sdk.Call{ChatID: "+33611111111"}
	for _, text := range []string{"//timer x", "// note"} {
		if _, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: text}); err != nil {
			t.Fatalf("%q: %v", text, err)
		}
	}
	sent, err := fake.WaitSent(2, eventWait)
	if err != nil {
		t.Fatal(err)
	}
	if got := sent[0].Msg.GetConversation(); got != "/timer x" {
		t.Errorf("sent %q, want %q", got, "/timer x")
	}
	if got := sent[1].Msg.GetConversation(); got != "// note" {
		t.Errorf("sent %q, want %q as typed", got, "// note")
	}
}
