package whatsapp

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// An event its creator moves, then cancels (each change sent encrypted
// with the event's secret, as the apps send them) corrects the event's
// message in the room: the new time, then the cancellation. Both were
// dropped, the room keeping the event as first planned.
func TestEventEdited(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	start := time.Date(2026, 12, 24, 19, 0, 0, 0, time.UTC)
	event := func(at time.Time, cancelled bool) *waE2E.EventMessage {
		return &waE2E.EventMessage{Name: proto.String("Party"), StartTime: proto.Int64(at.Unix()), IsCanceled: proto.Bool(cancelled)}
	}
	info := &types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: bob, IsGroup: true}, ID: "EV1", Timestamp: time.Now(), PushName: "Bob"}
	from := r.host.count()
	fake.Receive(ctx, info, &waE2E.Message{EventMessage: event(start, false), MessageContextInfo: &waE2E.MessageContextInfo{MessageSecret: secret}})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "EV1" })
	if !strings.Contains(ev.GetMessage().GetText(), "24 Dec 2026 19:00") {
		t.Fatalf("event: %v", ev)
	}
	for i, change := range []struct {
		e    *waE2E.EventMessage
		want string
	}{
		{event(start.Add(time.Hour), false), "Starts: 24 Dec 2026 20:00 UTC"},
		{event(start.Add(time.Hour), true), "Event (cancelled): Party"},
	} {
		edit, err := fake.EncEventEdit(ctx, info, &waE2E.Message{EventMessage: change.e})
		if err != nil {
			t.Fatal(err)
		}
		from = r.host.count()
		fake.Receive(ctx, &types.MessageInfo{MessageSource: info.MessageSource, ID: types.MessageID("EDIT" + string(rune('1'+i))), Timestamp: time.Now()}, edit)
		fake.Receive(ctx, &types.MessageInfo{MessageSource: info.MessageSource, ID: "FENCE" + types.MessageID(rune('1'+i)), Timestamp: time.Now()},
			&waE2E.Message{Conversation: proto.String("fence")})
		r.host.next(t, from, func(ev *pb.Event) bool { return strings.HasPrefix(ev.EventId, "FENCE") })
		var got *pb.EditEvent
		for _, ev := range r.host.since(from) {
			if e := ev.GetEdit(); e != nil {
				got = e
			}
		}
		if got == nil || got.TargetId != "EV1" || !strings.Contains(got.Text, change.want) {
			t.Errorf("change %d: correction %v, want one of EV1 saying %q", i, got, change.want)
		}
	}
}
