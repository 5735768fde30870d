package signal_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A reply sent from XMPP quotes the message's text (with its mentions
// and styles) and its file's type, as Signal's apps send a quote: a
// recipient's app without the message shows the quote from them. The
// plugin keeps them in the message's metadata, which the gateway hands
// back with the reply. Before, the quote carried the author and
// timestamp alone.
func TestReplyQuotesText(t *testing.T) {
	d, gid, s, group := groupKnown(t)
	reply := func(chat string, to *pb.Event) fakesignal.Request {
		t.Helper()
		if res := s.do(chat, &pb.SendMessage{Text: "yes", ReplyToId: to.EventId, ReplyToMeta: to.Meta}); res.Error != nil {
			t.Fatal(res.Error)
		}
		req, _ := lastRequest(d, "send")
		return req
	}

	// "see ￼ now": carol mentioned, "now" bold.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message:    fakesignal.Text("see \uFFFC now"),
		Mentions:   []fakesignal.Mention{{Number: carol, UUID: carolACI, Start: 4, Length: 1}},
		TextStyles: []fakesignal.TextStyle{{Style: "BOLD", Start: 6, Length: 3}},
		GroupInfo:  &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}}})
	ev := s.next(func(ev *pb.Event) bool { return strings.HasPrefix(ev.GetMessage().GetText(), "see ") })
	req := reply(group, ev)
	text := "see @" + carol + " now"
	if ev.GetMessage().GetText() != text || req.Params["quoteMessage"] != text || req.Params["quoteAuthor"] != bob {
		t.Fatalf("reply to %q: %v, want its text quoted", ev.GetMessage().GetText(), req.Params)
	}
	if m := anyStrings(req.Params["quoteMentions"]); !slices.Equal(m, []string{"4:13:" + carol}) {
		t.Errorf("quote's mentions %v, want carol's", m)
	}
	if st := anyStrings(req.Params["quoteTextStyles"]); !slices.Equal(st, []string{"18:3:BOLD"}) {
		t.Errorf("quote's styles %v, want \"now\" bold", st)
	}

	// A photo without words: the quote names its type.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Attachments: []fakesignal.Attachment{{ContentType: "image/jpeg", ID: "photo1", Size: 10}}}})
	ev = s.next(func(ev *pb.Event) bool { return len(ev.GetMessage().GetAttachments()) == 1 })
	if req := reply(bob, ev); req.Params["quoteMessage"] != nil || !slices.Equal(anyStrings(req.Params["quoteAttachments"]), []string{"image/jpeg"}) {
		t.Errorf("reply to a photo: %v, want its type quoted", req.Params)
	}

	// The user's own message, sent from XMPP.
	mine := s.do(bob, &pb.SendMessage{Text: "my words"})
	if mine.Error != nil {
		t.Fatal(mine.Error)
	}
	if req := reply(bob, &pb.Event{EventId: mine.MessageId, Meta: mine.Meta}); req.Params["quoteMessage"] != "my words" || req.Params["quoteAuthor"] != alice {
		t.Errorf("reply to the user's own message: %v, want its text quoted", req.Params)
	}

	// A long text, which JSON escapes: its start, within the metadata's
	// limit.
	long := strings.Repeat("<é>", 700)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text(long)}})
	ev = s.next(isText(long))
	if len(ev.Meta) > sdk.MaxMetaBytes {
		t.Fatalf("metadata of %d bytes, over %d", len(ev.Meta), sdk.MaxMetaBytes)
	}
	if q, _ := reply(bob, ev).Params["quoteMessage"].(string); len(q) < 20 || !strings.HasSuffix(q, "…") || !strings.HasPrefix(long, strings.TrimSuffix(q, "…")) {
		t.Errorf("long text quoted as %q, want its start", q)
	}

	// Metadata from before names the message alone: quoted as before.
	old, _ := json.Marshal(map[string]any{"a": bob, "t": 777})
	if req := reply(bob, &pb.Event{EventId: "777", Meta: old}); req.Params["quoteTimestamp"] != float64(777) || req.Params["quoteMessage"] != nil {
		t.Errorf("reply with metadata from before: %v", req.Params)
	}
}

// An edit of one of the user's replies, from XMPP, quotes the message
// replied to again: Signal's apps keep a reply's quote through an edit
// only when the edit carries one, and the edit went without, the quote
// gone from the recipients' phones. So for a reply sent from XMPP and
// one sent from the phone.
func TestEditKeepsReplyQuote(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	edit := func(id string, meta []byte) fakesignal.Request {
		t.Helper()
		return editSent(t, s, d, id, meta)
	}

	bobMeta, _ := json.Marshal(map[string]any{"a": bob, "t": 777})
	res := s.do(bob, &pb.SendMessage{Text: "yes", ReplyToId: "777", ReplyToMeta: bobMeta})
	if res.Error != nil {
		t.Fatal(res.Error)
	}
	if req := edit(res.MessageId, res.Meta); req.Params["editTimestamp"] == nil || req.Params["quoteTimestamp"] != float64(777) || req.Params["quoteAuthor"] != bob {
		t.Errorf("edit of a reply sent from XMPP: %v, want it quoting bob's message", req.Params)
	}

	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DestinationNumber: bob, DestinationUUID: bobACI, DataMessage: fakesignal.DataMessage{Timestamp: at,
			Message: fakesignal.Text("from the phone"), Quote: &fakesignal.Quote{ID: 888, AuthorNumber: bob, AuthorUUID: bobACI}}}}})
	ev := s.next(isText("from the phone"))
	if req := edit(ev.EventId, ev.Meta); req.Params["quoteTimestamp"] != float64(888) || req.Params["quoteAuthor"] != bob {
		t.Errorf("edit of a reply sent from the phone: %v, want it quoting bob's message", req.Params)
	}

	// A message that is no reply is edited without a quote.
	plain := s.do(bob, &pb.SendMessage{Text: "plain"})
	if req := edit(plain.MessageId, plain.Meta); req.Params["quoteTimestamp"] != nil {
		t.Errorf("edit of a plain message: %v, want no quote", req.Params)
	}
}

// An edit of a message with audio (a voice message's caption) is
// refused: Signal's apps drop it (Signal-Android's EditMessageProcessor
// takes no edit of a message with audio), and it was answered as done,
// edited on XMPP alone.
func TestEditOfAudioRefused(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	id := upload(t, s.p, s.loginID, "voice.m4a", []byte("not really audio"))
	res := s.do(bob, &pb.SendMessage{Attachments: []*pb.Attachment{{Name: "voice.m4a", MimeType: "audio/mp4", VoiceNote: true, Source: &pb.Attachment_UploadId{UploadId: id}}}})
	if res.Error != nil {
		t.Fatal(res.Error)
	}
	sends := d.Calls("send")
	if r := s.do(bob, &pb.EditMessage{TargetId: res.MessageId, TargetMeta: res.Meta, Text: "a caption"}); r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
		t.Fatalf("edit of a voice message: %v, want NOT_ALLOWED", r)
	}
	if d.Calls("send") != sends {
		t.Errorf("the refused edit was sent")
	}
}

// An edit of a reply quotes the message replied to as the reply did:
// its text and first file's type too, not only its author and
// timestamp, for a recipient's app without that message (a member who
// joined later) shows the edit's quote. So for a reply sent from XMPP
// and one sent from the phone. (Before: the edit's quote had no text.)
func TestEditOfReplyQuotesText(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	edit := func(id string, meta []byte) fakesignal.Request {
		t.Helper()
		return editSent(t, s, d, id, meta)
	}
	wantQuote := func(what string, req fakesignal.Request, text, fileType string) {
		t.Helper()
		files := anyStrings(req.Params["quoteAttachments"])
		if req.Params["quoteMessage"] != text || (fileType == "") != (len(files) == 0) || (fileType != "" && files[0] != fileType) {
			t.Errorf("%s: %v, want the quote's text %q and file type %q", what, req.Params, text, fileType)
		}
	}

	bobMeta, _ := json.Marshal(map[string]any{"a": bob, "t": 777, "q": map[string]any{"x": "look", "f": "image/jpeg"}})
	res := s.do(bob, &pb.SendMessage{Text: "nice cat", ReplyToId: "777", ReplyToMeta: bobMeta})
	if res.Error != nil {
		t.Fatal(res.Error)
	}
	sent, _ := lastRequest(d, "send")
	wantQuote("the reply", sent, "look", "image/jpeg")
	wantQuote("edit of a reply sent from XMPP", edit(res.MessageId, res.Meta), "look", "image/jpeg")

	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DestinationNumber: bob, DestinationUUID: bobACI, DataMessage: fakesignal.DataMessage{Timestamp: at,
			Message: fakesignal.Text("from the phone"), Quote: &fakesignal.Quote{ID: 888, AuthorNumber: bob, AuthorUUID: bobACI, Text: "his words",
				Attachments: []any{map[string]any{"contentType": "video/mp4"}}}}}}})
	ev := s.next(isText("from the phone"))
	wantQuote("edit of a reply sent from the phone", edit(ev.EventId, ev.Meta), "his words", "video/mp4")
}

// editSent edits the message id (with its meta) in bob's chat from
// XMPP, to "corrected", and returns the send it made of signal-cli.
func editSent(t *testing.T, s *session, d *fakesignal.Daemon, id string, meta []byte) fakesignal.Request {
	t.Helper()
	if res := s.do(bob, &pb.EditMessage{TargetId: id, TargetMeta: meta, Text: "corrected"}); res.Error != nil {
		t.Fatal(res.Error)
	}
	req, _ := lastRequest(d, "send")
	return req
}
