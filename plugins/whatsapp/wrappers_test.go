package whatsapp

import (
	"context"
	"testing"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// fp wraps a message as WhatsApp's FutureProofMessage fields do.
func fp(m *waE2E.Message) *waE2E.FutureProofMessage { return &waE2E.FutureProofMessage{Message: m} }

// withSpoiler is m wrapped as a spoiler, the field (118) the pinned
// whatsmeow does not know, as WhatsApp's newer apps send it.
func withSpoiler(t *testing.T, m *waE2E.Message) *waE2E.Message {
	b, err := proto.Marshal(fp(m))
	if err != nil {
		t.Fatal(err)
	}
	out := &waE2E.Message{}
	out.ProtoReflect().SetUnknown(protowire.AppendBytes(protowire.AppendTag(nil, spoilerField, protowire.BytesType), b))
	return out
}

// Content in a wrapper whatsmeow does not take off (or nested in
// another order than it takes them off) is shown as the plugin shows
// it bare: it was a notice to look at the phone.
func TestInboundWrappers(t *testing.T) {
	hello := &waE2E.Message{Conversation: proto.String("hello")}
	photo := &waE2E.Message{ImageMessage: &waE2E.ImageMessage{Mimetype: proto.String("image/jpeg"), Caption: proto.String("look")}}
	keyed := &waE2E.Message{ImageMessage: &waE2E.ImageMessage{Mimetype: proto.String("image/jpeg"), Caption: proto.String("look"),
		MediaKey: []byte("0123456789abcdef0123456789abcdef"), DirectPath: proto.String("/v/t62/x")}}
	statusKey := key(types.StatusBroadcastJID, "S1", false)
	mention := &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_STATUS_MENTION_MESSAGE.Enum(), Key: statusKey}}
	cases := []struct {
		name      string
		info      types.MessageInfo
		msg       *waE2E.Message
		text      string
		spoilt    string // the text marked as a spoiler
		ephemeral bool
	}{
		{"group mention", inGroup(bob, "W1"), &waE2E.Message{GroupMentionedMessage: fp(hello)}, "hello", "", false},
		{"bot forwarded", direct(alice, "W2"), &waE2E.Message{BotForwardedMessage: fp(hello)}, "hello", "", false},
		{"question", direct(alice, "W3"), &waE2E.Message{QuestionMessage: fp(hello)}, "hello", "", false},
		{"question reply", direct(alice, "W4"), &waE2E.Message{QuestionReplyMessage: fp(hello)}, "hello", "", false},
		{"ephemeral in a group mention", inGroup(bob, "W5"), &waE2E.Message{GroupMentionedMessage: fp(&waE2E.Message{EphemeralMessage: fp(hello)})}, "hello", "", true},
		{"bot invoke in ephemeral", direct(alice, "W6"), &waE2E.Message{EphemeralMessage: fp(&waE2E.Message{BotInvokeMessage: fp(hello)})}, "hello", "", true},
		{"document with caption in view once", direct(alice, "W7"), &waE2E.Message{ViewOnceMessage: fp(&waE2E.Message{DocumentWithCaptionMessage: fp(
			&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{Mimetype: proto.String("application/pdf"), FileName: proto.String("a.pdf"), Caption: proto.String("the plan")}})})},
			"View once: a file WhatsApp lets you open only on your phone\nthe plan", "", false},
		// Media to be seen once: marked so (it showed as any photo).
		{"view once photo", direct(alice, "W18"), &waE2E.Message{ViewOnceMessageV2: fp(keyed)}, "View once:\nlook", "", false},
		// Without its keys (kept from linked devices): on the phone.
		{"view once photo, no keys", direct(alice, "W19"), &waE2E.Message{ViewOnceMessageV2: fp(photo)},
			"View once: a file WhatsApp lets you open only on your phone\nlook", "", false},
		// The media's own flag, with no wrapper left (as history may
		// keep it): the same (it showed as any photo or voice note).
		{"view once by its flag", direct(alice, "W20"), &waE2E.Message{ImageMessage: &waE2E.ImageMessage{Mimetype: proto.String("image/jpeg"), Caption: proto.String("look"),
			MediaKey: []byte("0123456789abcdef0123456789abcdef"), DirectPath: proto.String("/v/t62/x"), ViewOnce: proto.Bool(true)}}, "View once:\nlook", "", false},
		{"view once by its flag, no keys", direct(alice, "W21"), &waE2E.Message{VideoMessage: &waE2E.VideoMessage{Mimetype: proto.String("video/mp4"), Caption: proto.String("look"), ViewOnce: proto.Bool(true)}},
			"View once: a file WhatsApp lets you open only on your phone\nlook", "", false},
		{"view once voice note by its flag, no keys", direct(alice, "W22"), &waE2E.Message{AudioMessage: &waE2E.AudioMessage{Mimetype: proto.String("audio/ogg; codecs=opus"), PTT: proto.Bool(true), ViewOnce: proto.Bool(true)}},
			"View once: a file WhatsApp lets you open only on your phone", "", false},
		{"group status", inGroup(bob, "W8"), &waE2E.Message{GroupStatusMessageV2: fp(photo)}, "Group status:\nlook", "", false},
		{"status mention", direct(alice, "W9"), &waE2E.Message{StatusMentionMessage: fp(mention)}, "Mentioned you in their status: see it on your phone", "", false},
		{"group status mention", inGroup(bob, "W10"), &waE2E.Message{GroupStatusMentionMessage: fp(mention)}, "Mentioned this group in their status: see it on your phone", "", false},
		{"spoiler", direct(alice, "W11"), withSpoiler(t, hello), "hello", "hello", false},
		{"spoiler photo", direct(alice, "W12"), withSpoiler(t, photo), "Spoiler:\nlook", "look", false},
		// Advanced chat privacy turned on or off (the newer apps'
		// limitSharingMessage wrapping a LIMIT_SHARING protocol
		// message, as WhatsApp's Android app builds it): a line, where it
		// was the notice to see it on the phone.
		{"advanced chat privacy on", direct(alice, "W13"), &waE2E.Message{LimitSharingMessage: fp(limitSharing(true))}, "Turned on advanced chat privacy", "", false},
		{"advanced chat privacy off", direct(alice, "W14"), &waE2E.Message{LimitSharingMessage: fp(limitSharing(false))}, "Turned off advanced chat privacy", "", false},
		{"advanced chat privacy, bare", direct(alice, "W15"), limitSharing(true), "Turned on advanced chat privacy", "", false},
		// A status's "Add yours" prompt: what it wraps, said as such,
		// else the notice as before.
		{"add yours", direct(alice, "W16"), &waE2E.Message{StatusAddYours: fp(hello)}, "«Add yours» status:\nhello", "", false},
		{"add yours, nothing shown", direct(alice, "W17"), &waE2E.Message{StatusAddYours: fp(&waE2E.Message{MessageContextInfo: &waE2E.MessageContextInfo{}})},
			"⚠ A message of a kind the gateway cannot show: see it on your phone.", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evt := (&events.Message{Info: tc.info, RawMessage: tc.msg}).UnwrapRaw()
			if !unwrap(evt) {
				t.Fatal("dropped")
			}
			m := testConv.message(evt).GetMessage()
			if m.GetText() != tc.text {
				t.Fatalf("text %q, want %q", m.GetText(), tc.text)
			}
			if len(m.GetAttachments()) == 1 && m.GetAttachments()[0].GetCaption() != tc.text {
				t.Errorf("caption %q", m.GetAttachments()[0].GetCaption())
			}
			var spoilt string
			for _, sp := range m.GetSpans() {
				if sp.GetStyle() == pb.Span_STYLE_SPOILER {
					spoilt = m.GetText()[sp.GetStart():sp.GetEnd()]
				}
			}
			if spoilt != tc.spoilt {
				t.Errorf("spoiler over %q, want %q", spoilt, tc.spoilt)
			}
			if evt.IsEphemeral != tc.ephemeral {
				t.Errorf("ephemeral %v", evt.IsEphemeral)
			}
		})
	}

	// An edit's new content, wrapped as its message was.
	edit := func(content *waE2E.Message) *pb.EditEvent {
		evt := (&events.Message{Info: inGroup(bob, "WE1"), RawMessage: &waE2E.Message{EditedMessage: fp(&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
			Key: key(group, "W1", false), Type: waE2E.ProtocolMessage_MESSAGE_EDIT.Enum(), EditedMessage: content}})}}).UnwrapRaw()
		unwrap(evt)
		return testConv.message(evt).GetEdit()
	}
	if e := edit(&waE2E.Message{GroupMentionedMessage: fp(&waE2E.Message{Conversation: proto.String("hello again")})}); e.GetTargetId() != "W1" || e.GetText() != "hello again" {
		t.Errorf("edit of a group mention: %v", e)
	}
	if e := edit(withSpoiler(t, &waE2E.Message{Conversation: proto.String("hush")})); e.GetText() != "hush" || len(e.GetSpans()) != 1 || e.GetSpans()[0].GetStyle() != pb.Span_STYLE_SPOILER {
		t.Errorf("edit of a spoiler: %v", e)
	}

	if e := edit(&waE2E.Message{GroupStatusMessageV2: fp(&waE2E.Message{Conversation: proto.String("new status")})}); e.GetText() != "Group status:\nnew status" {
		t.Errorf("edit of a group status: %v", e)
	}

	// The user's own from the phone, its device-sent wrapper within
	// another: in the chat it went to.
	own := (&events.Message{Info: fromMe(me, "W13"), RawMessage: &waE2E.Message{EphemeralMessage: fp(&waE2E.Message{DeviceSentMessage: &waE2E.DeviceSentMessage{
		DestinationJID: proto.String(alice.String()), Message: hello}})}}).UnwrapRaw()
	unwrap(own)
	if ev := testConv.message(own); ev.ChatId != "+33611111111" || ev.GetMessage().GetText() != "hello" || !ev.Sender.GetIsFromMe() {
		t.Errorf("device sent: %v", ev)
	}

	// Live, through whatsmeow's own handling and the session's.
	r := newRig(t, "")
	_, fake := r.connected(t)
	from := r.host.count()
	fake.Receive(context.Background(), &types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: bob, IsGroup: true}, ID: "WL1", Timestamp: when},
		&waE2E.Message{GroupMentionedMessage: fp(&waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("all of you")}})})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.EventId != "WL1" || ev.GetMessage().GetText() != "all of you" {
		t.Errorf("live: %v", ev)
	}
}

// limitSharing is a chat's advanced chat privacy turned on or off, as
// the protocol message the apps send.
func limitSharing(on bool) *waE2E.Message {
	return &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_LIMIT_SHARING.Enum(),
		LimitSharing: &waCommon.LimitSharing{SharingLimited: proto.Bool(on), Trigger: waCommon.LimitSharing_CHAT_SETTING.Enum()}}}
}
