package whatsapp

import (
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A forwarded message starts with WhatsApp's label, "Forwarded" or
// "Forwarded many times", its mentions moved after it, a file's caption
// too; one not forwarded is as it was.
func TestForwarded(t *testing.T) {
	fwd := func(score uint32) *waE2E.ContextInfo {
		return &waE2E.ContextInfo{IsForwarded: proto.Bool(true), ForwardingScore: proto.Uint32(score)}
	}
	cases := []struct {
		name, text, caption string
		msg                 *waE2E.Message
		mention             [2]uint32
	}{
		{"text", "Forwarded message:\nhello @111222333", "", &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
			Text: proto.String("hello @111222333"), ContextInfo: &waE2E.ContextInfo{IsForwarded: proto.Bool(true), ForwardingScore: proto.Uint32(1),
				MentionedJID: []string{aliceLID.String()}}}}, [2]uint32{25, 35}},
		{"many times", "Forwarded many times:\nchain letter", "", &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
			Text: proto.String("chain letter"), ContextInfo: fwd(7)}}, [2]uint32{}},
		{"photo with caption", "Forwarded message:\nlook", "Forwarded message:\nlook", &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
			Mimetype: proto.String("image/jpeg"), Caption: proto.String("look"), ContextInfo: fwd(2)}}, [2]uint32{}},
		{"document without caption", "Forwarded message:", "Forwarded message:", &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{
			Mimetype: proto.String("application/pdf"), FileName: proto.String("a.pdf"), ContextInfo: fwd(1)}}, [2]uint32{}},
		{"a channel's post", "Forwarded from the channel «Town news»:\nRoad closed", "", &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
			Text: proto.String("Road closed"), ContextInfo: &waE2E.ContextInfo{IsForwarded: proto.Bool(true), ForwardingScore: proto.Uint32(1),
				ForwardedNewsletterMessageInfo: &waE2E.ContextInfo_ForwardedNewsletterMessageInfo{
					NewsletterJID: proto.String("120363000000000999@newsletter"), NewsletterName: proto.String("Town news")}}}}, [2]uint32{}},
		{"not forwarded", "hello", "", &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
			Text: proto.String("hello"), ContextInfo: &waE2E.ContextInfo{StanzaID: proto.String("M0")}}}, [2]uint32{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := testConv.message((&events.Message{Info: direct(alice, "F1"), RawMessage: tc.msg}).UnwrapRaw())
			m := ev.GetMessage()
			if m.GetText() != tc.text {
				t.Fatalf("text %q, want %q", m.GetText(), tc.text)
			}
			if len(m.GetAttachments()) == 1 && m.GetAttachments()[0].GetCaption() != tc.caption {
				t.Errorf("caption %q, want %q", m.GetAttachments()[0].GetCaption(), tc.caption)
			}
			if tc.mention != [2]uint32{} {
				if len(m.GetSpans()) != 1 || m.GetSpans()[0].GetStart() != tc.mention[0] || m.GetSpans()[0].GetEnd() != tc.mention[1] ||
					m.GetText()[tc.mention[0]:tc.mention[1]] != "@111222333" {
					t.Errorf("spans %v", m.GetSpans())
				}
			}
		})
	}
}

// A reply to a status, or a private reply to a group's message, names a
// message of another chat: it starts with the quoted copy WhatsApp sends
// with it and names no message; a reply in the chat is as it was.
func TestOtherChatReply(t *testing.T) {
	reply := func(remote string, quoted *waE2E.Message, text string) *waE2E.Message {
		return &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String(text), ContextInfo: &waE2E.ContextInfo{
			StanzaID: proto.String("Q1"), Participant: proto.String(me.String()), RemoteJID: proto.String(remote), QuotedMessage: quoted,
			MentionedJID: []string{aliceLID.String()}}}}
	}
	cases := []struct {
		name    string
		info    types.MessageInfo
		msg     *waE2E.Message
		text    string
		replyTo string
	}{
		{"status", direct(alice, "R1"), reply(types.StatusBroadcastJID.String(), &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
			Mimetype: proto.String("image/jpeg"), Caption: proto.String("sunset\nat sea")}}, "wow @111222333"),
			"In reply to a status:\n> sunset\n> at sea\nwow @111222333", ""},
		{"status photo without caption", direct(alice, "R2"), reply(types.StatusBroadcastJID.String(), &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
			Mimetype: proto.String("image/jpeg")}}, "@111222333"), "In reply to a status:\n> image.jpg\n@111222333", ""},
		{"private reply to a group's message", direct(alice, "R3"), reply(group.String(), &waE2E.Message{Conversation: proto.String("who comes?")}, "me @111222333"),
			"In reply to a group's message:\n> who comes?\nme @111222333", ""},
		{"in the group itself", inGroup(alice, "R4"), reply(group.String(), &waE2E.Message{Conversation: proto.String("who comes?")}, "me @111222333"),
			"me @111222333", "Q1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := testConv.message((&events.Message{Info: tc.info, RawMessage: tc.msg}).UnwrapRaw()).GetMessage()
			if m.GetText() != tc.text || m.GetReplyToId() != tc.replyTo {
				t.Fatalf("text %q reply to %q, want %q and %q", m.GetText(), m.GetReplyToId(), tc.text, tc.replyTo)
			}
			if sp := m.GetSpans(); len(sp) != 1 || m.GetText()[sp[0].GetStart():sp[0].GetEnd()] != "@111222333" {
				t.Errorf("spans %v", sp)
			}
		})
	}
}

// An edit of a reply to a status (or to a group's message, privately)
// keeps the line saying what it answers: the edit's own when its new
// content quotes again, else the one its message had, noted when it
// came (the correction replaces the whole text). An edit of another
// message is its text.
func TestOtherChatReplyEdit(t *testing.T) {
	conv := inbound{ids: testConv.ids, self: testConv.self, heads: &replyHeads{}}
	status := types.StatusBroadcastJID.String()
	quotedPhoto := &waE2E.Message{ImageMessage: &waE2E.ImageMessage{Mimetype: proto.String("image/jpeg"), Caption: proto.String("sunset")}}
	reply := &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("wow"), ContextInfo: &waE2E.ContextInfo{
		StanzaID: proto.String("S1"), Participant: proto.String(alice.String()), RemoteJID: proto.String(status), QuotedMessage: quotedPhoto}}}
	edit := func(id string, content *waE2E.Message) *waE2E.Message {
		return &waE2E.Message{EditedMessage: fp(&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
			Key: key(alice, id, false), Type: waE2E.ProtocolMessage_MESSAGE_EDIT.Enum(), EditedMessage: content}})}
	}
	receive := func(c inbound, id string, msg *waE2E.Message) *pb.Event {
		evt := (&events.Message{Info: direct(alice, id), RawMessage: msg}).UnwrapRaw()
		unwrap(evt)
		return c.message(evt)
	}
	if got := receive(conv, "R1", reply).GetMessage().GetText(); got != "In reply to a status:\n> sunset\nwow" {
		t.Fatalf("reply %q", got)
	}
	receive(conv, "P1", &waE2E.Message{Conversation: proto.String("plain")})

	mention := &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("wow @111222333"),
		ContextInfo: &waE2E.ContextInfo{MentionedJID: []string{aliceLID.String()}}}}
	requoted := proto.Clone(reply).(*waE2E.Message)
	requoted.ExtendedTextMessage.Text = proto.String("wow!!")
	cases := []struct {
		name string
		conv inbound
		msg  *waE2E.Message
		text string
	}{
		{"edit without its quote", conv, edit("R1", &waE2E.Message{Conversation: proto.String("wow!")}), "In reply to a status:\n> sunset\nwow!"},
		{"edit with a mention", conv, edit("R1", mention), "In reply to a status:\n> sunset\nwow @111222333"},
		{"edit quoting again", inbound{ids: testConv.ids, self: testConv.self}, edit("R1", requoted), "In reply to a status:\n> sunset\nwow!!"},
		{"edit of another message", conv, edit("P1", &waE2E.Message{Conversation: proto.String("plainer")}), "plainer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := receive(tc.conv, "E1", tc.msg).GetEdit()
			if e.GetText() != tc.text {
				t.Fatalf("edit %q, want %q", e.GetText(), tc.text)
			}
			for _, sp := range e.GetSpans() {
				if e.GetText()[sp.GetStart():sp.GetEnd()] != "@111222333" {
					t.Errorf("span %v over %q", sp, e.GetText()[sp.GetStart():sp.GetEnd()])
				}
			}
		})
	}
}
