package whatsapp

import (
	"context"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// "@all" in a group mentions all its members both ways, as WhatsApp's
// apps mark it (ContextInfo.nonJIDMentions = 1): sent from XMPP it went
// as plain text, which notified no one; one that came did not mention
// the user.
func TestMentionAll(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()

	send := func(chat, text string) *waE2E.Message {
		t.Helper()
		n := len(fake.Sent())
		if _, err := s.SendMessage(ctx, sdk.Call{ChatID: chat}, &pb.SendMessage{Text: text}); err != nil {
			t.Fatal(err)
		}
		sent, err := fake.WaitSent(n+1, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return sent[n].Msg
	}
	if m := send(group.String(), "@all lunch at noon"); m.GetExtendedTextMessage().GetContextInfo().GetNonJIDMentions() != mentionAllFlag ||
		m.GetExtendedTextMessage().GetText() != "@all lunch at noon" {
		t.Errorf("@all sent to a group: %v", m)
	}
	if m := send(group.String(), "on y va, @allez"); m.GetConversation() != "on y va, @allez" {
		t.Errorf("@allez is no @all: %v", m)
	}
	if m := send("+33611111111", "@all of you"); m.GetConversation() != "@all of you" {
		t.Errorf("@all in a one-to-one chat is text: %v", m)
	}

	from := r.host.count()
	info := inGroup(bob, "ALL1")
	fake.Emit(&events.Message{Info: info, Message: &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
		Text: proto.String("meeting, @all"), ContextInfo: &waE2E.ContextInfo{NonJIDMentions: proto.Uint32(mentionAllFlag)}}}})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "ALL1" })
	sp := ev.GetMessage().GetSpans()
	if len(sp) != 1 || sp[0].Style != pb.Span_STYLE_MENTION || sp[0].UserId != "+33600000000" || sp[0].Start != 9 || sp[0].End != 13 {
		t.Errorf("@all received: spans %v", sp)
	}
}
