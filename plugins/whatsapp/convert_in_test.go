package whatsapp

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waAICommon"
	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// mapIDs is an idMap of fixed LID -> phone pairs.
type mapIDs map[types.JID]types.JID

func (m mapIDs) userID(j types.JID) string {
	if pn, ok := m[j]; ok {
		return plainUserID(pn)
	}
	return plainUserID(j)
}

var (
	alice     = types.NewJID("33611111111", types.DefaultUserServer)
	aliceLID  = types.NewJID("111222333", types.HiddenUserServer)
	bob       = types.NewJID("33622222222", types.DefaultUserServer)
	me        = types.NewJID("33600000000", types.DefaultUserServer)
	group     = types.NewJID("120363000000000001", types.GroupServer)
	when      = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	testConv  = inbound{ids: mapIDs{aliceLID: alice}, self: "+33600000000"}
	strangerL = types.NewJID("444555666", types.HiddenUserServer)
)

func direct(from types.JID, id string) types.MessageInfo {
	return types.MessageInfo{MessageSource: types.MessageSource{Chat: from, Sender: from}, ID: id, Timestamp: when, PushName: "Alice"}
}

func inGroup(from types.JID, id string) types.MessageInfo {
	return types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: from, IsGroup: true}, ID: id, Timestamp: when, PushName: "Bob"}
}

func fromMe(to types.JID, id string) types.MessageInfo {
	return types.MessageInfo{MessageSource: types.MessageSource{Chat: to, Sender: me, IsFromMe: true}, ID: id, Timestamp: when}
}

func key(chat types.JID, id string, fromMe bool) *waCommon.MessageKey {
	return &waCommon.MessageKey{RemoteJID: proto.String(chat.String()), ID: proto.String(id), FromMe: proto.Bool(fromMe)}
}

func TestInboundMessage(t *testing.T) {
	aliceSender := &pb.Sender{UserId: "+33611111111", Name: "Alice"}
	micro := when.UnixMicro()
	msgEv := func(chat string, typ pb.ChatType, snd *pb.Sender, id, meta string, m *pb.MessageEvent) *pb.Event {
		if strings.HasSuffix(meta, "|0") {
			meta += "||" + strconv.FormatInt(when.UnixMilli(), 10) // anyone's message keeps its time
		}
		return &pb.Event{ChatId: chat, ChatType: typ, Sender: snd, TimestampUnixMicro: micro, EventId: id, Meta: []byte(meta),
			Payload: &pb.Event_Message{Message: m}}
	}
	dm := func(id string, m *pb.MessageEvent) *pb.Event {
		return msgEv("+33611111111", pb.ChatType_CHAT_TYPE_DIRECT, aliceSender, id, "33611111111@s.whatsapp.net|0", m)
	}
	ref := func(m *waE2E.Message) *pb.Attachment_Ref { return &pb.Attachment_Ref{Ref: encodeMediaRef(m)} }

	cases := []struct {
		name string
		info types.MessageInfo
		msg  *waE2E.Message
		want *pb.Event
	}{
		{"text", direct(alice, "M1"), &waE2E.Message{Conversation: proto.String("hello")},
			dm("M1", &pb.MessageEvent{Text: "hello"})},
		{"extended text replying", direct(alice, "M2"), &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
			Text:        proto.String("yes"),
			ContextInfo: &waE2E.ContextInfo{StanzaID: proto.String("M1"), Participant: proto.String(me.String()), QuotedMessage: &waE2E.Message{Conversation: proto.String("hello?")}},
		}}, dm("M2", &pb.MessageEvent{Text: "yes", ReplyToId: "M1", QuoteText: "hello?", QuoteFromMe: true})},
		{"group mention, by LID and by phone", inGroup(bob, "G1"), &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
			Text:        proto.String("hi @111222333 and @33600000000, not @336000000001"),
			ContextInfo: &waE2E.ContextInfo{MentionedJID: []string{aliceLID.String(), me.String()}},
		}}, msgEv(group.String(), pb.ChatType_CHAT_TYPE_GROUP, &pb.Sender{UserId: "+33622222222", Name: "Bob"}, "G1", "33622222222@s.whatsapp.net|0",
			&pb.MessageEvent{Text: "hi @111222333 and @33600000000, not @336000000001", Spans: []*pb.Span{
				{Start: 3, End: 13, Style: pb.Span_STYLE_MENTION, UserId: "+33611111111"},
				{Start: 18, End: 30, Style: pb.Span_STYLE_MENTION, UserId: "+33600000000"},
			}})},
		{"sent from the phone", fromMe(alice, "M3"), &waE2E.Message{Conversation: proto.String("from my phone")},
			msgEv("+33611111111", pb.ChatType_CHAT_TYPE_DIRECT, &pb.Sender{UserId: "+33600000000", IsFromMe: true}, "M3", "33600000000@s.whatsapp.net|1||"+strconv.FormatInt(when.UnixMilli(), 10),
				&pb.MessageEvent{Text: "from my phone"})},
		{"LID sender with its phone number beside", types.MessageInfo{MessageSource: types.MessageSource{Chat: aliceLID, Sender: aliceLID, SenderAlt: alice,
			AddressingMode: types.AddressingModeLID}, ID: "M4", Timestamp: when, PushName: "Alice"},
			&waE2E.Message{Conversation: proto.String("lid")},
			msgEv("+33611111111", pb.ChatType_CHAT_TYPE_DIRECT, aliceSender, "M4", "111222333@lid|0", &pb.MessageEvent{Text: "lid"})},
		{"LID-only sender", direct(strangerL, "M5"), &waE2E.Message{Conversation: proto.String("who")},
			msgEv("lid-444555666", pb.ChatType_CHAT_TYPE_DIRECT, &pb.Sender{UserId: "lid-444555666", Name: "Alice"}, "M5", "444555666@lid|0", &pb.MessageEvent{Text: "who"})},
		{"edit", direct(alice, "E1"), &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
			Type: waE2E.ProtocolMessage_MESSAGE_EDIT.Enum(), Key: key(alice, "M1", false),
			EditedMessage: &waE2E.Message{Conversation: proto.String("hello, fixed")},
		}}, &pb.Event{ChatId: "+33611111111", Sender: aliceSender, TimestampUnixMicro: micro,
			Payload: &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: "M1", Text: "hello, fixed"}}}},
		// A document's caption corrected: its new content wrapped as the
		// apps wrap a document with a caption, which whatsmeow leaves so.
		{"edit of a document's caption", direct(alice, "E2"), &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
			Type: waE2E.ProtocolMessage_MESSAGE_EDIT.Enum(), Key: key(alice, "D1", false),
			EditedMessage: &waE2E.Message{DocumentWithCaptionMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{
				DocumentMessage: &waE2E.DocumentMessage{Mimetype: proto.String("application/pdf"), Caption: proto.String("the final report")}}}},
		}}, &pb.Event{ChatId: "+33611111111", Sender: aliceSender, TimestampUnixMicro: micro,
			Payload: &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: "D1", Text: "the final report"}}}},
		{"revoke", direct(alice, "R1"), &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
			Type: waE2E.ProtocolMessage_REVOKE.Enum(), Key: key(alice, "M1", false),
		}}, &pb.Event{ChatId: "+33611111111", Sender: aliceSender, TimestampUnixMicro: micro,
			Payload: &pb.Event_Retraction{Retraction: &pb.RetractionEvent{TargetId: "M1"}}}},
		{"reaction", direct(alice, "X1"), &waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{Key: key(alice, "M9", true), Text: proto.String("👍")}},
			&pb.Event{ChatId: "+33611111111", Sender: aliceSender, TimestampUnixMicro: micro, EventId: "X1",
				Payload: &pb.Event_Reaction{Reaction: &pb.ReactionEvent{TargetId: "M9", Emojis: []string{"👍"}}}}},
		{"reaction removed", direct(alice, "X2"), &waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{Key: key(alice, "M9", true), Text: proto.String("")}},
			&pb.Event{ChatId: "+33611111111", Sender: aliceSender, TimestampUnixMicro: micro, EventId: "X2",
				Payload: &pb.Event_Reaction{Reaction: &pb.ReactionEvent{TargetId: "M9"}}}},
		{"image with caption", direct(alice, "I1"), &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
			Mimetype: proto.String("image/jpeg"), Caption: proto.String("look"), FileLength: proto.Uint64(1234), Width: proto.Uint32(640), Height: proto.Uint32(480),
			DirectPath: proto.String("/v/1"), MediaKey: []byte("k"), JPEGThumbnail: []byte("thumb"),
		}}, dm("I1", &pb.MessageEvent{Text: "look", Attachments: []*pb.Attachment{{
			Name: "image.jpg", MimeType: "image/jpeg", Size: 1234, Width: 640, Height: 480, Caption: "look", Thumbnail: []byte("thumb"), ThumbnailMime: "image/jpeg",
			Source: ref(&waE2E.Message{ImageMessage: &waE2E.ImageMessage{Mimetype: proto.String("image/jpeg"), FileLength: proto.Uint64(1234),
				Width: proto.Uint32(640), Height: proto.Uint32(480), DirectPath: proto.String("/v/1"), MediaKey: []byte("k")}}),
		}}})},
		{"video", direct(alice, "V1"), &waE2E.Message{VideoMessage: &waE2E.VideoMessage{Mimetype: proto.String("video/mp4"), Seconds: proto.Uint32(7), DirectPath: proto.String("/v/2")}},
			dm("V1", &pb.MessageEvent{Attachments: []*pb.Attachment{{Name: "video.mp4", MimeType: "video/mp4", Size: -1, DurationMs: 7000,
				Source: ref(&waE2E.Message{VideoMessage: &waE2E.VideoMessage{Mimetype: proto.String("video/mp4"), Seconds: proto.Uint32(7), DirectPath: proto.String("/v/2")}})}}})},
		{"voice note", direct(alice, "A1"), &waE2E.Message{AudioMessage: &waE2E.AudioMessage{Mimetype: proto.String("audio/ogg; codecs=opus"), PTT: proto.Bool(true), Seconds: proto.Uint32(3), FileLength: proto.Uint64(99)}},
			dm("A1", &pb.MessageEvent{Attachments: []*pb.Attachment{{Name: "voice-note.ogg", MimeType: "audio/ogg; codecs=opus", Size: 99, DurationMs: 3000, VoiceNote: true,
				Source: ref(&waE2E.Message{AudioMessage: &waE2E.AudioMessage{Mimetype: proto.String("audio/ogg; codecs=opus"), PTT: proto.Bool(true), Seconds: proto.Uint32(3), FileLength: proto.Uint64(99)}})}}})},
		{"document with its file name, in a caption wrapper", direct(alice, "D1"), &waE2E.Message{DocumentWithCaptionMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{
			DocumentMessage: &waE2E.DocumentMessage{Mimetype: proto.String("application/pdf"), FileName: proto.String("report.pdf"), Caption: proto.String("the report"), FileLength: proto.Uint64(5)}}}},
			dm("D1", &pb.MessageEvent{Text: "the report", Attachments: []*pb.Attachment{{Name: "report.pdf", MimeType: "application/pdf", Size: 5, Caption: "the report",
				Source: ref(&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{Mimetype: proto.String("application/pdf"), FileName: proto.String("report.pdf"), FileLength: proto.Uint64(5)}})}}})},
		{"sticker", direct(alice, "S1"), &waE2E.Message{StickerMessage: &waE2E.StickerMessage{Mimetype: proto.String("image/webp"), Width: proto.Uint32(512), Height: proto.Uint32(512)}},
			dm("S1", &pb.MessageEvent{Attachments: []*pb.Attachment{{Name: "sticker.webp", MimeType: "image/webp", Size: -1, Width: 512, Height: 512,
				Source: ref(&waE2E.Message{StickerMessage: &waE2E.StickerMessage{Mimetype: proto.String("image/webp"), Width: proto.Uint32(512), Height: proto.Uint32(512)}})}}})},
		{"location", direct(alice, "L1"), &waE2E.Message{LocationMessage: &waE2E.LocationMessage{
			DegreesLatitude: proto.Float64(48.8584), DegreesLongitude: proto.Float64(2.2945), Name: proto.String("Tour Eiffel"), Address: proto.String("Champ de Mars, Paris")}},
			dm("L1", &pb.MessageEvent{Text: "Location: Tour Eiffel\nChamp de Mars, Paris\ngeo:48.8584,2.2945\n" +
				"https://www.openstreetmap.org/?mlat=48.8584&mlon=2.2945#map=16/48.8584/2.2945"})},
		{"location with a comment", direct(alice, "L3"), &waE2E.Message{LocationMessage: &waE2E.LocationMessage{
			DegreesLatitude: proto.Float64(48.8584), DegreesLongitude: proto.Float64(2.2945), Comment: proto.String("meet here")}},
			dm("L3", &pb.MessageEvent{Text: "Location\ngeo:48.8584,2.2945\n" +
				"https://www.openstreetmap.org/?mlat=48.8584&mlon=2.2945#map=16/48.8584/2.2945\n\nmeet here"})},
		{"live location", direct(alice, "L2"), &waE2E.Message{LiveLocationMessage: &waE2E.LiveLocationMessage{DegreesLatitude: proto.Float64(-33.5), DegreesLongitude: proto.Float64(151)}},
			dm("L2", &pb.MessageEvent{Text: "Live location\ngeo:-33.5,151\nhttps://www.openstreetmap.org/?mlat=-33.5&mlon=151#map=16/-33.5/151\n" +
				"(where the sharing started: WhatsApp shows where it moves only on your phone)"})},
		{"contact card", direct(alice, "C1"), &waE2E.Message{ContactMessage: &waE2E.ContactMessage{DisplayName: proto.String("Carol"),
			Vcard: proto.String("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Carol\r\nitem1.TEL;waid=33633333333:+33 6 33 33 33 33\r\nEMAIL;type=INTERNET:carol@example.org\r\nEND:VCARD")}},
			dm("C1", &pb.MessageEvent{Text: "Contact: Carol\nPhone: +33 6 33 33 33 33\nE-mail: carol@example.org"})},
		{"contact cards", direct(alice, "C2"), &waE2E.Message{ContactsArrayMessage: &waE2E.ContactsArrayMessage{Contacts: []*waE2E.ContactMessage{
			{DisplayName: proto.String("Dan"), Vcard: proto.String("BEGIN:VCARD\nTEL:+1 555\nEND:VCARD")},
			{DisplayName: proto.String("Eve"), Vcard: proto.String("BEGIN:VCARD\nEND:VCARD")}}}},
			dm("C2", &pb.MessageEvent{Text: "Contact: Dan\nPhone: +1 555\n\nContact: Eve"})},
		{"ephemeral wrapper", direct(alice, "W1"), &waE2E.Message{EphemeralMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{Conversation: proto.String("vanishing")}}},
			dm("W1", &pb.MessageEvent{Text: "vanishing"})},
		{"poll as text", direct(alice, "P1"), &waE2E.Message{PollCreationMessageV3: &waE2E.PollCreationMessage{Name: proto.String("Lunch?"),
			Options: []*waE2E.PollCreationMessage_Option{{OptionName: proto.String("pizza")}, {OptionName: proto.String("sushi")}}}},
			dm("P1", &pb.MessageEvent{Text: "Poll: Lunch? (several answers allowed)\n1. pizza\n2. sushi\n(vote with a reply: /vote 1, or on your phone)"})},
		{"a single-answer poll", direct(alice, "P2"), &waE2E.Message{PollCreationMessageV3: &waE2E.PollCreationMessage{Name: proto.String("Lunch?"),
			SelectableOptionsCount: proto.Uint32(1), Options: []*waE2E.PollCreationMessage_Option{{OptionName: proto.String("pizza")}, {OptionName: proto.String("sushi")}}}},
			dm("P2", &pb.MessageEvent{Text: "Poll: Lunch?\n1. pizza\n2. sushi\n(vote with a reply: /vote 1, or on your phone)"})},
		{"group invitation", direct(alice, "GI"), &waE2E.Message{GroupInviteMessage: &waE2E.GroupInviteMessage{GroupName: proto.String("Friends"), Caption: proto.String("join us")}},
			dm("GI", &pb.MessageEvent{Text: "Invitation to the WhatsApp group «Friends»\njoin us\n(accept it on your phone)"})},
		{"buttons: said, not dropped", direct(alice, "B1"), &waE2E.Message{ButtonsMessage: &waE2E.ButtonsMessage{}},
			dm("B1", &pb.MessageEvent{Text: "⚠ A message (buttons, a list...) of a kind the gateway cannot show: see it on your phone."})},
		// Business messages: their text and choices, to make on the
		// phone, and a choice made, as the apps show it (all were the
		// notice to see them on the phone).
		{"buttons", direct(alice, "B2"), &waE2E.Message{ButtonsMessage: &waE2E.ButtonsMessage{
			Header: &waE2E.ButtonsMessage_Text{Text: "Your parcel"}, ContentText: proto.String("Arrives tomorrow."), FooterText: proto.String("Carrier"),
			Buttons: []*waE2E.ButtonsMessage_Button{{ButtonText: &waE2E.ButtonsMessage_Button_ButtonText{DisplayText: proto.String("OK")}},
				{ButtonText: &waE2E.ButtonsMessage_Button_ButtonText{DisplayText: proto.String("Change the day")}}}}},
			dm("B2", &pb.MessageEvent{Text: "Your parcel\nArrives tomorrow.\nCarrier\nChoices: OK / Change the day (choose on your phone)"})},
		{"template", direct(alice, "B3"), &waE2E.Message{TemplateMessage: &waE2E.TemplateMessage{HydratedTemplate: &waE2E.TemplateMessage_HydratedFourRowTemplate{
			HydratedContentText: proto.String("Your code expires soon."),
			HydratedButtons: []*waE2E.HydratedTemplateButton{{HydratedButton: &waE2E.HydratedTemplateButton_UrlButton{UrlButton: &waE2E.HydratedTemplateButton_HydratedURLButton{
				DisplayText: proto.String("Renew"), URL: proto.String("https://example.org/renew")}}}}}}},
			dm("B3", &pb.MessageEvent{Text: "Your code expires soon.\nChoices: Renew (https://example.org/renew) (choose on your phone)"})},
		{"list", direct(alice, "B4"), &waE2E.Message{ListMessage: &waE2E.ListMessage{Title: proto.String("Menu"), Description: proto.String("Pick one"),
			Sections: []*waE2E.ListMessage_Section{{Rows: []*waE2E.ListMessage_Row{{Title: proto.String("Pizza")}, {Title: proto.String("Salad")}}}}}},
			dm("B4", &pb.MessageEvent{Text: "Menu\nPick one\nChoices: Pizza / Salad (choose on your phone)"})},
		{"interactive", direct(alice, "B5"), &waE2E.Message{InteractiveMessage: &waE2E.InteractiveMessage{
			Body: &waE2E.InteractiveMessage_Body{Text: proto.String("Rate us")},
			InteractiveMessage: &waE2E.InteractiveMessage_NativeFlowMessage_{NativeFlowMessage: &waE2E.InteractiveMessage_NativeFlowMessage{
				Buttons: []*waE2E.InteractiveMessage_NativeFlowMessage_NativeFlowButton{{Name: proto.String("quick_reply"), ButtonParamsJSON: proto.String(`{"display_text":"Good","id":"1"}`)}}}}}},
			dm("B5", &pb.MessageEvent{Text: "Rate us\nChoices: Good (choose on your phone)"})},
		{"a button tapped", direct(alice, "B6"), &waE2E.Message{ButtonsResponseMessage: &waE2E.ButtonsResponseMessage{
			Response: &waE2E.ButtonsResponseMessage_SelectedDisplayText{SelectedDisplayText: "Change the day"}}},
			dm("B6", &pb.MessageEvent{Text: "Change the day"})},
		{"a row picked", direct(alice, "B7"), &waE2E.Message{ListResponseMessage: &waE2E.ListResponseMessage{Title: proto.String("Pizza")}},
			dm("B7", &pb.MessageEvent{Text: "Pizza"})},
		// A group's event, as the apps show it (it was the notice to see
		// it on the phone); cancelled, said so.
		{"an event", direct(alice, "EV1"), &waE2E.Message{EventMessage: &waE2E.EventMessage{Name: proto.String("Picnic"),
			Description: proto.String("Bring food"), StartTime: proto.Int64(1781352000), EndTime: proto.Int64(1781362800),
			Location: &waE2E.LocationMessage{Name: proto.String("Parc"), DegreesLatitude: proto.Float64(48.85), DegreesLongitude: proto.Float64(2.35)},
			JoinLink: proto.String("https://call.whatsapp.com/video/abc")}},
			dm("EV1", &pb.MessageEvent{Text: "Event: Picnic\nStarts: 13 Jun 2026 12:00 UTC\nEnds: 13 Jun 2026 15:00 UTC\nWhere: Parc, geo:48.85,2.35\n" +
				"Call link: https://call.whatsapp.com/video/abc\nBring food\n(answer it on your phone)"})},
		{"an event cancelled", direct(alice, "EV2"), &waE2E.Message{EventMessage: &waE2E.EventMessage{Name: proto.String("Picnic"), IsCanceled: proto.Bool(true)}},
			dm("EV2", &pb.MessageEvent{Text: "Event (cancelled): Picnic"})},
		// A scheduled call, its cancellation (in reply to it), a sticker
		// pack shared: said (they were the notice).
		{"a scheduled call", direct(alice, "SC1"), &waE2E.Message{ScheduledCallCreationMessage: &waE2E.ScheduledCallCreationMessage{
			Title: proto.String("Sync"), CallType: waE2E.ScheduledCallCreationMessage_VIDEO.Enum(), ScheduledTimestampMS: proto.Int64(1781352000000)}},
			dm("SC1", &pb.MessageEvent{Text: "Scheduled video call: Sync\n13 Jun 2026 12:00 UTC\n(join it on your phone)"})},
		{"a scheduled call cancelled", direct(alice, "SC2"), &waE2E.Message{ScheduledCallEditMessage: &waE2E.ScheduledCallEditMessage{
			Key: key(alice, "SC1", false), EditType: waE2E.ScheduledCallEditMessage_CANCEL.Enum()}},
			dm("SC2", &pb.MessageEvent{Text: "Cancelled the scheduled call", ReplyToId: "SC1"})},
		{"a sticker pack", direct(alice, "SP1"), &waE2E.Message{StickerPackMessage: &waE2E.StickerPackMessage{Name: proto.String("Cats"), Publisher: proto.String("Ann")}},
			dm("SP1", &pb.MessageEvent{Text: "Sticker pack «Cats» by Ann: see it on your phone"})},
		{"a request for the user's number", direct(alice, "RQ1"), &waE2E.Message{RequestPhoneNumberMessage: &waE2E.RequestPhoneNumberMessage{}},
			dm("RQ1", &pb.MessageEvent{Text: "Asked for your phone number: share it on your phone if you wish"})},
		// A member's tag in a group (shown beside their name on the
		// phones): a line, set and removed (it was dropped).
		{"a member tag set", inGroup(bob, "MT1"), &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_GROUP_MEMBER_LABEL_CHANGE.Enum(),
			MemberLabel: &waE2E.MemberLabel{Label: proto.String("Treasurer")}}},
			msgEv(group.String(), pb.ChatType_CHAT_TYPE_GROUP, &pb.Sender{UserId: "+33622222222", Name: "Bob"}, "MT1", "", &pb.MessageEvent{Text: "Set their member tag in this group: «Treasurer»"})},
		{"a member tag removed", inGroup(bob, "MT2"), &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_GROUP_MEMBER_LABEL_CHANGE.Enum(),
			MemberLabel: &waE2E.MemberLabel{}}},
			msgEv(group.String(), pb.ChatType_CHAT_TYPE_GROUP, &pb.Sender{UserId: "+33622222222", Name: "Bob"}, "MT2", "", &pb.MessageEvent{Text: "Removed their member tag in this group"})},
		// The contact's number shared with the user: a line, as the apps
		// show one (it was dropped); the user's own share from the phone.
		{"the contact's number shared", direct(alice, "SH1"), &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_SHARE_PHONE_NUMBER.Enum()}},
			msgEv("+33611111111", pb.ChatType_CHAT_TYPE_DIRECT, aliceSender, "SH1", "", &pb.MessageEvent{Text: "Shared their phone number with you: +33611111111"})},
		// Meta AI's answer: its text parts (it was the notice).
		{"an AI's answer", direct(alice, "AI1"), &waE2E.Message{RichResponseMessage: &waE2E.AIRichResponseMessage{Submessages: []*waAICommon.AIRichResponseSubMessage{
			{MessageType: waAICommon.AIRichResponseSubMessageType_AI_RICH_RESPONSE_TEXT.Enum(), MessageText: proto.String("Paris is the capital.")},
			{MessageType: waAICommon.AIRichResponseSubMessageType_AI_RICH_RESPONSE_CODE.Enum()},
			{MessageType: waAICommon.AIRichResponseSubMessageType_AI_RICH_RESPONSE_TEXT.Enum(), MessageText: proto.String("Anything else?")}}}},
			dm("AI1", &pb.MessageEvent{Text: "Paris is the capital.\nAnything else?"})},
		// What WhatsApp keeps from linked devices (a one-time passcode):
		// said to be on the phone, not a message of an unknown kind.
		{"masked for linked devices", direct(alice, "OTP"), &waE2E.Message{PlaceholderMessage: &waE2E.PlaceholderMessage{Type: waE2E.PlaceholderMessage_MASK_LINKED_DEVICES.Enum()}},
			dm("OTP", &pb.MessageEvent{Text: "A message WhatsApp shows only on your phone, for your security (such as a one-time passcode): see it on your phone."})},
		{"a poll vote: nothing to show", direct(alice, "PV"), &waE2E.Message{PollUpdateMessage: &waE2E.PollUpdateMessage{}}, nil},
		{"protocol chatter", direct(alice, "P2"), &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_EPHEMERAL_SYNC_RESPONSE.Enum()}}, nil},
		{"disappearing messages turned off", direct(alice, "P3"), &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_EPHEMERAL_SETTING.Enum()}},
			&pb.Event{ChatId: "+33611111111", Sender: aliceSender, TimestampUnixMicro: micro, EventId: "P3",
				Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "Disappearing messages turned off"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evt := (&events.Message{Info: tc.info, RawMessage: tc.msg}).UnwrapRaw()
			got := testConv.message(evt)
			for _, a := range got.GetMessage().GetAttachments() {
				// A file's reference carries its message's key
				// (mediaretry.go); compared here without it.
				m, info, err := decodeRef(a.GetRef())
				if err != nil || info == nil || info.ID != tc.info.ID || info.Chat != tc.info.Chat || info.IsFromMe != tc.info.IsFromMe {
					t.Errorf("reference %q: %v, %v", a.GetRef(), info, err)
				} else {
					a.Source = &pb.Attachment_Ref{Ref: encodeMediaRef(m)}
				}
			}
			checkProto(t, tc.want, got)
		})
	}
}

func TestInboundReceiptPresenceTyping(t *testing.T) {
	micro := when.UnixMicro()
	cases := []struct {
		name string
		got  *pb.Event
		want *pb.Event
	}{
		{"delivered", testConv.receipt(&events.Receipt{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, MessageIDs: []string{"M1", "M2"}, Timestamp: when, Type: types.ReceiptTypeDelivered}),
			&pb.Event{ChatId: "+33611111111", Sender: &pb.Sender{UserId: "+33611111111"}, TimestampUnixMicro: micro,
				Payload: &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: pb.ReceiptEvent_KIND_DELIVERED, MessageIds: []string{"M1", "M2"}}}}},
		{"read in a group, by a LID", testConv.receipt(&events.Receipt{MessageSource: types.MessageSource{Chat: group, Sender: aliceLID, IsGroup: true}, MessageIDs: []string{"G1"}, Timestamp: when, Type: types.ReceiptTypeRead}),
			&pb.Event{ChatId: group.String(), ChatType: pb.ChatType_CHAT_TYPE_GROUP, Sender: &pb.Sender{UserId: "+33611111111"}, TimestampUnixMicro: micro,
				Payload: &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: pb.ReceiptEvent_KIND_READ, MessageIds: []string{"G1"}}}}},
		{"read on the phone", testConv.receipt(&events.Receipt{MessageSource: types.MessageSource{Chat: alice, Sender: me, IsFromMe: true}, MessageIDs: []string{"M1"}, Timestamp: when, Type: types.ReceiptTypeReadSelf}),
			&pb.Event{ChatId: "+33611111111", Sender: &pb.Sender{UserId: "+33600000000", IsFromMe: true}, TimestampUnixMicro: micro,
				Payload: &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: pb.ReceiptEvent_KIND_READ, MessageIds: []string{"M1"}}}}},
		{"voice note played on the phone", testConv.receipt(&events.Receipt{MessageSource: types.MessageSource{Chat: alice, Sender: me, IsFromMe: true}, MessageIDs: []string{"V1"}, Timestamp: when, Type: types.ReceiptTypePlayedSelf}),
			&pb.Event{ChatId: "+33611111111", Sender: &pb.Sender{UserId: "+33600000000", IsFromMe: true}, TimestampUnixMicro: micro,
				Payload: &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: pb.ReceiptEvent_KIND_READ, MessageIds: []string{"V1"}}}}},
		{"retry receipt: no word for it", testConv.receipt(&events.Receipt{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, MessageIDs: []string{"M1"}, Type: types.ReceiptTypeRetry}), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkProto(t, tc.want, tc.got)
		})
	}

	typing := testConv.chatPresence(&events.ChatPresence{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, State: types.ChatPresenceComposing})
	if typing.GetTyping().GetState() != pb.TypingState_TYPING_STATE_COMPOSING || typing.GetTyping().GetTimeoutMs() != 15000 || typing.ChatId != "+33611111111" || typing.Sender.UserId != "+33611111111" {
		t.Errorf("composing: %v, want holding 15000 ms", typing)
	}
	paused := testConv.chatPresence(&events.ChatPresence{MessageSource: types.MessageSource{Chat: group, Sender: bob, IsGroup: true}, State: types.ChatPresencePaused})
	if paused.GetTyping().GetState() != pb.TypingState_TYPING_STATE_PAUSED || paused.GetTyping().GetTimeoutMs() != 0 || paused.ChatId != group.String() || paused.ChatType != pb.ChatType_CHAT_TYPE_GROUP {
		t.Errorf("paused in a group: %v", paused)
	}

	on := testConv.presence(&events.Presence{From: alice})
	if on.GetPresence().GetPresence().GetShow() != pb.PresenceShow_PRESENCE_SHOW_AVAILABLE || on.ChatId != "+33611111111" {
		t.Errorf("available: %v", on)
	}
	off := testConv.presence(&events.Presence{From: aliceLID, Unavailable: true, LastSeen: when})
	if p := off.GetPresence().GetPresence(); p.GetShow() != pb.PresenceShow_PRESENCE_SHOW_OFFLINE || p.GetLastSeenUnix() != when.Unix() || off.Sender.UserId != "+33611111111" {
		t.Errorf("unavailable with last seen: %v", off)
	}
}

func TestMediaRefRoundTrip(t *testing.T) {
	m := &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{DirectPath: proto.String("/v/x"), MediaKey: []byte{1, 2, 3}, FileLength: proto.Uint64(7)}}
	got, err := decodeMediaRef(encodeMediaRef(m))
	if err != nil || !proto.Equal(got, m) {
		t.Fatalf("round trip: %v, %v", got, err)
	}
	for _, bad := range []string{"", "!!!", "AAAA"} {
		if m, err := decodeMediaRef(bad); err == nil && m.GetDocumentMessage() != nil {
			t.Errorf("decodeMediaRef(%q) = %v", bad, m)
		}
	}
}

// checkProto fails t unless got equals want (both may be nil).
func checkProto[M proto.Message](t *testing.T, want, got M) {
	t.Helper()
	if !proto.Equal(want, got) {
		t.Errorf("got\n%s\nwant\n%s", prototext.Format(got), prototext.Format(want))
	}
}
