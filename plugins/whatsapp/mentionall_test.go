package whatsapp

import (
	"context"
	"testing"

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
		sent, err := fake.WaitSent(n+1, eventWait)
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
	if m := send(group.String(), "see https://social.example/@all"); m.GetConversation() != "see https://social.example/@all" {
		t.Errorf("@all in a URL is text: %v", m)
	}
	n := len(fake.Sent())
	code := &pb.SendMessage{Text: "type @all to ping", Spans: []*pb.Span{{Start: 5, End: 9, Style: pb.Span_STYLE_CODE}}}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: group.String()}, code); err != nil {
		t.Fatal(err)
	}
	if sent, err := fake.WaitSent(n+1, eventWait); err != nil {
		t.Fatal(err)
	} else if m := sent[n].Msg; m.GetConversation() != "type `@all` to ping" {
		t.Errorf("@all in code is text: %v", m)
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

// "@all" in a link or in code is no mention of all the members: it went
// with nonJIDMentions set, notifying the whole group of a URL or a
// snippet quoted (the flag marks the message, not a place in it).
func TestMentionAllNotInURLOrCode(t *testing.T) {
	for _, c := range []struct {
		text  string
		spans []*pb.Span
		want  bool
	}{
		{"@all lunch", nil, true},
		{"see https://social.example/@all", nil, false},
		{"see <https://x.example/u?n=@all>", nil, false},
		{"type @all to ping", []*pb.Span{{Start: 5, End: 9, Style: pb.Span_STYLE_CODE}}, false},
		{"block:\n@all\n", []*pb.Span{{Start: 7, End: 11, Style: pb.Span_STYLE_PRE}}, false},
		{"@all see `@all`", []*pb.Span{{Start: 10, End: 14, Style: pb.Span_STYLE_CODE}}, true},
		{"*@all* now", []*pb.Span{{Start: 0, End: 4, Style: pb.Span_STYLE_BOLD}}, true},
	} {
		if got := len(mentionAllWords(c.text, c.spans)) > 0; got != c.want {
			t.Errorf("%q (spans %v) mentions all: %v, want %v", c.text, c.spans, got, c.want)
		}
	}
}
