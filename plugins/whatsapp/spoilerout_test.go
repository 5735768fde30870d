package whatsapp

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A text that is one spoiler from end to end (an XMPP client's XEP-0382
// <spoiler/>) goes hidden as WhatsApp's apps hide one, in the spoiler
// wrapper (field 118), its markup and the chat's timer inside: its
// bytes, received, read back through the plugin's own unwrapping as the
// same text, one spoiler. A part of a text marked as one goes plain, as
// before (WhatsApp hides whole messages only).
func TestSpoilerOut(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	if _, err := s.timers.set("+33611111111", 86400, time.Now().Unix()); err != nil {
		t.Fatal(err)
	}
	const text = "the butler did it"
	whole := []*pb.Span{{Start: 0, End: 17, Style: pb.Span_STYLE_SPOILER}, {Start: 4, End: 10, Style: pb.Span_STYLE_BOLD}}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "+33611111111", TxnID: "sp1"}, &pb.SendMessage{Text: text, Spans: whole}); err != nil {
		t.Fatal(err)
	}
	sent, err := fake.WaitSent(1, eventWait)
	if err != nil {
		t.Fatal(err)
	}
	b, err := proto.Marshal(sent[0].Msg)
	if err != nil {
		t.Fatal(err)
	}
	var back waE2E.Message
	if err := proto.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.GetConversation() != "" || back.GetExtendedTextMessage() != nil {
		t.Fatalf("the text went unwrapped: %v", &back)
	}
	in, w := unwrapped(&back)
	if !w.spoiler || in.GetExtendedTextMessage().GetText() != "the *butler* did it" || contextOf(in).GetExpiration() != 86400 {
		t.Errorf("inside the wrapper: spoiler %v, %v", w.spoiler, in)
	}
	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "SP1", Timestamp: time.Now()}, &back)
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "SP1" })
	m := ev.GetMessage()
	var spoilers []string
	for _, sp := range m.GetSpans() {
		if sp.GetStyle() == pb.Span_STYLE_SPOILER {
			spoilers = append(spoilers, m.GetText()[sp.GetStart():sp.GetEnd()])
		}
	}
	if m.GetText() != "the *butler* did it" || len(spoilers) != 1 || spoilers[0] != m.GetText() {
		t.Errorf("read back: %q, spoilers %q", m.GetText(), spoilers)
	}

	// A part of the text: plain text, no wrapper.
	part := []*pb.Span{{Start: 4, End: 10, Style: pb.Span_STYLE_SPOILER}}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "+33622222222", TxnID: "sp2"}, &pb.SendMessage{Text: text, Spans: part}); err != nil {
		t.Fatal(err)
	}
	sent, err = fake.WaitSent(2, eventWait)
	if err != nil {
		t.Fatal(err)
	}
	if p := sent[1].Msg; p.GetConversation() != text || wrappedAs(p).spoiler {
		t.Errorf("a part spoiler: %v", p)
	}
}

// A spoiler is hidden whatever carries it: a correction marked as one
// (the new content wrapped, read back as an edit that is one spoiler), a
// shared location, a file with its text (the file wrapped, its caption
// inside) and the correction of that caption. They went unwrapped,
// showing what was hidden.
func TestSpoilerOutEditFileLocation(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	call := sdk.Call{ChatID: "+33611111111"}
	whole := func(text string) []*pb.Span {
		return []*pb.Span{{Start: 0, End: uint32(len(text)), Style: pb.Span_STYLE_SPOILER}}
	}
	// sentInner is the nth message sent, unwrapped, and whether it came
	// as a spoiler; a correction's new content for an edit.
	sentInner := func(n int) (*waE2E.Message, bool) {
		t.Helper()
		sent, err := fake.WaitSent(n+1, eventWait)
		if err != nil {
			t.Fatal(err)
		}
		m := sent[n].Msg
		if pm := m.GetEditedMessage().GetMessage().GetProtocolMessage(); pm != nil {
			m = pm.GetEditedMessage()
		}
		if _, w := unwrapped(m); !w.spoiler {
			return m, false
		}
		in, _ := unwrapped(m)
		return in, true
	}

	const text = "the butler did it"
	res, err := s.SendMessage(ctx, sdk.Call{ChatID: call.ChatID, TxnID: "t1"}, &pb.SendMessage{Text: text, Spans: whole(text)})
	if err != nil {
		t.Fatal(err)
	}
	const fixed = "the gardener did it"
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: res.MessageID, TargetMeta: res.Meta, Text: fixed, Spans: whole(fixed)}); err != nil {
		t.Fatal(err)
	}
	in, hidden := sentInner(1)
	if !hidden || in.GetConversation() != fixed {
		t.Errorf("the correction of a spoiler: hidden %v, %v", hidden, in)
	}
	// Read back, as the other devices get it: an edit that is one spoiler.
	sent := fake.Sent()
	from := r.host.count()
	pm := sent[1].Msg.GetEditedMessage().GetMessage().GetProtocolMessage()
	pm.Key.RemoteJID = proto.String(alice.String())
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "ED1", Timestamp: time.Now(), Edit: types.EditAttributeMessageEdit}, sent[1].Msg)
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	if e := ev.GetEdit(); e.GetText() != fixed || len(e.GetSpans()) != 1 || e.GetSpans()[0].GetStyle() != pb.Span_STYLE_SPOILER || e.GetSpans()[0].GetEnd() != uint32(len(fixed)) {
		t.Errorf("the correction read back: %v", e)
	}
	// A correction not marked again: hidden all the same, the message
	// it corrects was (its meta says so).
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: res.MessageID, TargetMeta: res.Meta, Text: "still secret"}); err != nil {
		t.Fatal(err)
	}
	if in, hidden := sentInner(2); !hidden || in.GetConversation() != "still secret" {
		t.Errorf("a correction of a spoiler not marked again: hidden %v, %v", hidden, in)
	}

	// A location shared as a spoiler.
	const geo = "geo:48.8584,2.2945"
	if _, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: geo, Spans: whole(geo)}); err != nil {
		t.Fatal(err)
	}
	if in, hidden := sentInner(3); !hidden || in.GetLocationMessage().GetDegreesLatitude() != 48.8584 {
		t.Errorf("a location as a spoiler: hidden %v, %v", hidden, in)
	}

	// A photo whose text is a spoiler, then its caption corrected.
	id, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: "cat.jpg", MimeType: "image/jpeg"}, strings.NewReader("JPEGDATA"))
	if err != nil {
		t.Fatal(err)
	}
	const caption = "guess who"
	res, err = s.SendMessage(ctx, call, &pb.SendMessage{Text: caption, Spans: whole(caption),
		Attachments: []*pb.Attachment{{Name: "cat.jpg", MimeType: "image/jpeg", Source: &pb.Attachment_UploadId{UploadId: id}}}})
	if err != nil {
		t.Fatal(err)
	}
	if in, hidden := sentInner(4); !hidden || in.GetImageMessage().GetCaption() != caption {
		t.Errorf("a photo as a spoiler: hidden %v, %v", hidden, in)
	}
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: res.MessageID, TargetMeta: res.Meta, Text: "my cat"}); err != nil {
		t.Fatal(err)
	}
	if in, hidden := sentInner(5); !hidden || in.GetImageMessage().GetCaption() != "my cat" {
		t.Errorf("a spoiler photo's caption corrected: hidden %v, %v", hidden, in)
	}

	// A plain message: its correction plain, unless marked as a spoiler.
	res, err = s.SendMessage(ctx, call, &pb.SendMessage{Text: "plain"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: res.MessageID, TargetMeta: res.Meta, Text: "plainer"}); err != nil {
		t.Fatal(err)
	}
	if in, hidden := sentInner(7); hidden || in.GetConversation() != "plainer" {
		t.Errorf("a plain message's correction: hidden %v, %v", hidden, in)
	}
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: res.MessageID, TargetMeta: res.Meta, Text: "secret", Spans: whole("secret")}); err != nil {
		t.Fatal(err)
	}
	if in, hidden := sentInner(8); !hidden || in.GetConversation() != "secret" {
		t.Errorf("a plain message's correction marked as a spoiler: hidden %v, %v", hidden, in)
	}

	// The user's own spoiler sent from the phone: its meta says so, and
	// a correction from XMPP goes hidden.
	from = r.host.count()
	wrapped, err := spoilerMessage(&waE2E.Message{Conversation: proto.String("from the phone")})
	if err != nil {
		t.Fatal(err)
	}
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: phone, IsFromMe: true}, ID: "PH1", Timestamp: time.Now()}, wrapped)
	ev, _ = r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "PH1" })
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: "PH1", TargetMeta: ev.Meta, Text: "corrected"}); err != nil {
		t.Fatal(err)
	}
	if in, hidden := sentInner(9); !hidden || in.GetConversation() != "corrected" {
		t.Errorf("the phone's spoiler corrected: hidden %v, %v", hidden, in)
	}
}
