package signal_test

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A received reply carries what its quote says of the message it
// answers: the text (a mention in it as "@ID"), or its file named when it
// has none, and the author, "from me" for the user's own. The gateway
// shows them for a message it never had: Signal gives a linked device
// no history, so a reply to an older message came with no context.
// Before, the quote's text was not read.
func TestReceivedReplyCarriesQuote(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	reply := func(text string, q *fakesignal.Quote) *pb.MessageEvent {
		t.Helper()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
			Message: fakesignal.Text(text), Quote: q}})
		return s.next(isText(text)).GetMessage()
	}

	m := reply("sure", &fakesignal.Quote{ID: 1111, AuthorNumber: bob, AuthorUUID: bobACI, Text: "lunch with \uFFFC?",
		Mentions: []fakesignal.Mention{{Number: carol, UUID: carolACI, Start: 11, Length: 1}}})
	if m.QuoteText != "lunch with @"+carol+"?" || m.QuoteAuthorId != bob || m.QuoteFromMe {
		t.Errorf("reply to bob's message: quote %q by %q (from me %v), want his text and him", m.QuoteText, m.QuoteAuthorId, m.QuoteFromMe)
	}

	m = reply("thanks", &fakesignal.Quote{ID: 2222, AuthorNumber: alice, Text: "my old words"})
	if m.QuoteText != "my old words" || m.QuoteAuthorId != "" || !m.QuoteFromMe {
		t.Errorf("reply to the user's message: quote %q by %q (from me %v), want hers, from her", m.QuoteText, m.QuoteAuthorId, m.QuoteFromMe)
	}

	m = reply("nice", &fakesignal.Quote{ID: 3333, AuthorNumber: bob, AuthorUUID: bobACI,
		Attachments: []any{map[string]any{"contentType": "image/jpeg"}}})
	if m.QuoteText != "[Photo]" || m.QuoteAuthorId != bob {
		t.Errorf("reply to a photo: quote %q by %q, want the photo named", m.QuoteText, m.QuoteAuthorId)
	}

	// A voice note is named as the apps name it, not "[Audio]"; an audio
	// file keeps its name. A WebP image without a name is a photo: the
	// quote cannot tell a sticker from one (it was "[Sticker]", a photo
	// sent from a phone so named wrongly).
	for _, c := range []struct {
		file map[string]any
		want string
	}{
		{map[string]any{"contentType": "image/webp"}, "[Photo]"},
		{map[string]any{"contentType": "audio/aac"}, "[Voice message]"},
		{map[string]any{"contentType": "audio/mpeg", "filename": "song.mp3"}, "[Audio: song.mp3]"},
	} {
		m = reply("ha "+c.want, &fakesignal.Quote{ID: 3334, AuthorNumber: bob, AuthorUUID: bobACI, Attachments: []any{c.file}})
		if m.QuoteText != c.want {
			t.Errorf("reply to a %v: quote %q, want %q", c.file, m.QuoteText, c.want)
		}
	}

	// A spoiler in the quoted text stays hidden, as Signal's apps show
	// it: the quote is plain text, and showed it before.
	m = reply("no way", &fakesignal.Quote{ID: 5555, AuthorNumber: bob, AuthorUUID: bobACI, Text: "the killer is Ms Peacock!",
		TextStyles: []fakesignal.TextStyle{{Style: "SPOILER", Start: 14, Length: 10}, {Style: "BOLD", Start: 4, Length: 6}}})
	if strings.Contains(m.QuoteText, "Peacock") || !strings.HasPrefix(m.QuoteText, "the killer is ") || !strings.HasSuffix(m.QuoteText, "!") {
		t.Errorf("reply to a spoiler: quote %q, want the spoiler hidden, the rest kept", m.QuoteText)
	}

	if m = reply("what?", &fakesignal.Quote{ID: 4444, AuthorNumber: bob}); m.QuoteText != "" || m.QuoteAuthorId != "" {
		t.Errorf("a quote with nothing to show: quote %q by %q, want none", m.QuoteText, m.QuoteAuthorId)
	}
}
