package whatsapp

import (
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"
)

// A reply carries what WhatsApp quotes of the message it answers, for
// the gateway to show when it never had that message (from before the
// login): the quoted text, a photo's caption or else a file's name, and
// the author by user ID (a LID mapped to the phone number), or "from
// me". Before, the quoted message was not read. A quoted message's
// wrappers are taken off: a view-once photo's quote said nothing. An
// album quoted as a whole (its announcement) says what it holds.
func TestReplyCarriesQuote(t *testing.T) {
	reply := func(quoted *waE2E.Message, participant string) *waE2E.Message {
		return &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("yes"),
			ContextInfo: &waE2E.ContextInfo{StanzaID: proto.String("OLD1"), Participant: proto.String(participant), QuotedMessage: quoted}}}
	}
	cases := []struct {
		name         string
		msg          *waE2E.Message
		text, author string
		fromMe       bool
	}{
		{"another member's text, by LID", reply(&waE2E.Message{Conversation: proto.String("lunch?")}, aliceLID.String()),
			"lunch?", "+33611111111", false},
		{"the user's own", reply(&waE2E.Message{Conversation: proto.String("mine")}, me.String()), "mine", "", true},
		{"a photo's caption", reply(&waE2E.Message{ImageMessage: &waE2E.ImageMessage{Mimetype: proto.String("image/jpeg"), Caption: proto.String("the view")}}, bob.String()),
			"the view", "+33622222222", false},
		{"a file without caption", reply(&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{Mimetype: proto.String("application/pdf"), FileName: proto.String("report.pdf")}}, bob.String()),
			"report.pdf", "+33622222222", false},
		{"no quoted message", reply(nil, bob.String()), "", "", false},
		{"a view-once photo", reply(&waE2E.Message{ViewOnceMessageV2: &waE2E.FutureProofMessage{Message: &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
			Mimetype: proto.String("image/jpeg"), ViewOnce: proto.Bool(true)}}}}, bob.String()), "View once: image.jpg", "+33622222222", false},
		{"an album", reply(&waE2E.Message{AlbumMessage: &waE2E.AlbumMessage{ExpectedImageCount: proto.Uint32(3), ExpectedVideoCount: proto.Uint32(1)}}, bob.String()),
			"Album: 3 photos and 1 video", "+33622222222", false},
		{"a spoiler", reply(mustSpoiler(t, &waE2E.Message{Conversation: proto.String("the butler did it")}), bob.String()), "Spoiler", "+33622222222", false},
		{"a document with a caption", reply(&waE2E.Message{DocumentWithCaptionMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{
			Mimetype: proto.String("application/pdf"), FileName: proto.String("r.pdf"), Caption: proto.String("the report")}}}}, bob.String()), "the report", "+33622222222", false},
	}
	for _, tc := range cases {
		ev := testConv.message((&events.Message{Info: inGroup(bob, "G9"), RawMessage: tc.msg}).UnwrapRaw())
		m := ev.GetMessage()
		if m.GetReplyToId() != "OLD1" {
			t.Fatalf("%s: %v, want a reply to OLD1", tc.name, ev)
		}
		if m.QuoteText != tc.text || m.QuoteAuthorId != tc.author || m.QuoteFromMe != tc.fromMe {
			t.Errorf("%s: quote %q by %q (from me %v), want %q by %q (from me %v)", tc.name, m.QuoteText, m.QuoteAuthorId, m.QuoteFromMe, tc.text, tc.author, tc.fromMe)
		}
	}
}

func mustSpoiler(t *testing.T, m *waE2E.Message) *waE2E.Message {
	t.Helper()
	out, err := spoilerMessage(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
