package whatsapp

import (
	"context"
	"crypto/rand"
	"slices"
	"testing"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A member's reaction in a community's announcement group comes
// encrypted with the message's secret: it is the member's reaction to
// that message (taken back too), not dropped; one to a message the
// device never saw is dropped.
func TestEncryptedReaction(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	secret := make([]byte, 32)
	rand.Read(secret)
	ann := inGroup(alice, "ANN1")
	from := r.host.count()
	fake.Receive(ctx, &ann, &waE2E.Message{Conversation: proto.String("Meeting at 8"), MessageContextInfo: &waE2E.MessageContextInfo{MessageSecret: secret}})
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })

	react := func(id, emoji string, target *types.MessageInfo) {
		t.Helper()
		msg, err := fake.EncReaction(ctx, strangerL, target, emoji)
		if err != nil {
			t.Fatalf("EncReaction: %v", err)
		}
		info := inGroup(strangerL, id)
		fake.Receive(ctx, &info, msg)
	}
	react("R1", "👍", &ann)
	ev, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetReaction() != nil })
	if rc := ev.GetReaction(); rc.TargetId != "ANN1" || !slices.Equal(rc.Emojis, []string{"👍"}) || ev.Sender.UserId != "lid-444555666" || ev.ChatId != group.String() {
		t.Fatalf("reaction: %v", ev)
	}
	react("R2", "", &ann)
	ev, i = r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetReaction() != nil })
	if rc := ev.GetReaction(); rc.TargetId != "ANN1" || len(rc.Emojis) != 0 {
		t.Fatalf("reaction taken back: %v", ev)
	}

	// A message the device never saw: no secret to read it with.
	bad := inGroup(strangerL, "R3")
	fake.Receive(ctx, &bad, &waE2E.Message{EncReactionMessage: &waE2E.EncReactionMessage{
		TargetMessageKey: &waCommon.MessageKey{ID: proto.String("ANN0"), RemoteJID: proto.String(group.String()), Participant: proto.String(alice.String())},
		EncPayload:       []byte("sealed"), EncIV: make([]byte, 12)}})
	after := inGroup(alice, "ANN2")
	fake.Receive(ctx, &after, &waE2E.Message{Conversation: proto.String("see you")})
	_, j := r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	for _, ev := range r.host.since(i + 1)[:j-i-1] {
		if ev.GetReaction() != nil {
			t.Errorf("an unreadable reaction shown: %v", ev)
		}
	}
}
