package telegram

import (
	"context"
	"strconv"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// A reply carries what the plugin knows of the message it answers, for
// the gateway to show when it never had that message: the part
// Telegram's header says was quoted (quote_text), else the text of a
// message the plugin saw; its author as seen, the user's own as
// quote_from_me. A plain reply to a message the plugin never saw (sent
// before the login) has it asked of Telegram (TestReplyQuoteFetched).
func TestReplyQuote(t *testing.T) {
	srv := newFake(t)
	old := srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, "sent before the login, long ago")
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	alicePeer := &tg.PeerUser{UserID: alice.ID}

	from := h.count()
	hello := srv.Send(bob.ID, alicePeer, "hello there")
	h.wait(t, from, "bob's hello", isMessage("1002", "hello there"))
	res, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002", TxnID: "q1"}, &pb.SendMessage{Text: "my own words"})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := strconv.Atoi(res.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	bobsCopy := 0
	for _, m := range srv.Messages(bob.ID) {
		if m.Message == "my own words" {
			bobsCopy = m.ID
		}
	}
	if bobsCopy == 0 {
		t.Fatalf("bob has not alice's message %d", mine)
	}

	for _, tc := range []struct {
		name, text string
		opt        tgfake.MsgOpt
		want       *pb.MessageEvent
	}{
		{"a plain reply to bob's message seen", "answer one", tgfake.WithReply(srv.ID(hello, bob.ID)),
			&pb.MessageEvent{ReplyToId: strconv.Itoa(srv.ID(hello, alice.ID)), QuoteText: "hello there", QuoteAuthorId: "1002"}},
		{"a plain reply to the user's message", "answer two", tgfake.WithReply(bobsCopy),
			&pb.MessageEvent{ReplyToId: res.MessageID, QuoteText: "my own words", QuoteFromMe: true}},
		{"a quoting reply to the user's message", "answer three", tgfake.WithQuote(bobsCopy, "own"),
			&pb.MessageEvent{ReplyToId: res.MessageID, QuoteText: "own", QuoteFromMe: true}},
		{"a quoting reply to a message never seen", "answer four", tgfake.WithQuote(srv.ID(old, bob.ID), "long ago"),
			&pb.MessageEvent{ReplyToId: strconv.Itoa(srv.ID(old, alice.ID)), QuoteText: "long ago", QuoteAuthorId: "1002"}},
		{"a plain reply to a message never seen", "answer five", tgfake.WithReply(srv.ID(old, bob.ID)),
			&pb.MessageEvent{ReplyToId: strconv.Itoa(srv.ID(old, alice.ID)), QuoteText: "sent before the login, long ago", QuoteAuthorId: "1002"}},
	} {
		from := h.count()
		srv.Send(bob.ID, alicePeer, tc.text, tc.opt)
		got := h.wait(t, from, tc.name, isMessage("1002", tc.text)).GetMessage()
		if got.ReplyToId != tc.want.ReplyToId || got.QuoteText != tc.want.QuoteText ||
			got.QuoteAuthorId != tc.want.QuoteAuthorId || got.QuoteFromMe != tc.want.QuoteFromMe {
			t.Errorf("%s: reply to %q quoting %q by %q (from me %v), want reply to %q quoting %q by %q (from me %v)",
				tc.name, got.ReplyToId, got.QuoteText, got.QuoteAuthorId, got.QuoteFromMe,
				tc.want.ReplyToId, tc.want.QuoteText, tc.want.QuoteAuthorId, tc.want.QuoteFromMe)
		}
	}
}

// A reply to another chat's message is a plain message (no reply_to_id:
// TestReplyToAnotherChat), and so carries no quote either: the gateway
// shows a quote only with a reply.
func TestReplyToAnotherChatNoQuote(t *testing.T) {
	s, _ := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, []tg.ChatClass{news})
	r := &tg.MessageReplyHeader{ReplyToMsgID: 50, Quote: true, QuoteText: "breaking"}
	r.SetReplyToPeerID(&tg.PeerChannel{ChannelID: 500})
	r.SetReplyFrom(tg.MessageFwdHeader{FromID: &tg.PeerChannel{ChannelID: 500}})
	m := &tg.Message{ID: 600, PeerID: &tg.PeerUser{UserID: 1002}, FromID: &tg.PeerUser{UserID: 1002}, Date: 1700000000, Message: "look", ReplyTo: r}
	evs := s.messageEvents(context.Background(), m, false)
	if len(evs) != 1 {
		t.Fatalf("events %v", evs)
	}
	if got := evs[0].GetMessage(); got.ReplyToId != "" || got.QuoteText != "" || got.QuoteAuthorId != "" {
		t.Errorf("a reply to another chat: %v, want a plain message", got)
	}
}

// A correction changes the text a later reply quotes; the message's
// author stays as seen.
func TestReplyQuoteAfterEdit(t *testing.T) {
	s, _ := unitSession(t)
	ctx := context.Background()
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, nil)
	bobPeer := &tg.PeerUser{UserID: 1002}
	m := &tg.Message{ID: 7, PeerID: bobPeer, FromID: bobPeer, Date: 1700000000, Message: "first words"}
	s.messageEvents(ctx, m, false)
	e := &tg.Message{ID: 7, PeerID: bobPeer, FromID: bobPeer, Date: 1700000000, EditDate: 1700000005, Message: "better words"}
	e.SetFlags()
	s.editEvents(e)
	r := &tg.Message{ID: 8, PeerID: bobPeer, FromID: bobPeer, Date: 1700000010, Message: "see above", ReplyTo: &tg.MessageReplyHeader{ReplyToMsgID: 7}}
	evs := s.messageEvents(ctx, r, false)
	if len(evs) != 1 {
		t.Fatalf("events %v", evs)
	}
	if got := evs[0].GetMessage(); got.QuoteText != "better words" || got.QuoteAuthorId != "1002" {
		t.Errorf("the reply quotes %q by %q, want %q by 1002", got.QuoteText, got.QuoteAuthorId, "better words")
	}
}

// A reply to a file without caption quotes what the file was, as the
// Signal transport quotes one: "[Photo]", "[File: report.pdf]", a voice
// message, a sticker by its emoji (it had no quote).
func TestReplyQuoteFile(t *testing.T) {
	s, _ := unitSession(t)
	ctx := context.Background()
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, nil)
	bobPeer := &tg.PeerUser{UserID: 1002}
	doc := func(mime string, attrs ...tg.DocumentAttributeClass) tg.MessageMediaClass {
		return &tg.MessageMediaDocument{Document: &tg.Document{ID: 9, AccessHash: 1, MimeType: mime, Size: 10, Attributes: attrs}}
	}
	for i, tc := range []struct {
		media tg.MessageMediaClass
		want  string
	}{
		{&tg.MessageMediaPhoto{Photo: &tg.Photo{ID: 8, AccessHash: 1, Sizes: []tg.PhotoSizeClass{&tg.PhotoSize{Type: "x", W: 800, H: 600, Size: 1000}}}}, "[Photo]"},
		{doc("application/pdf", &tg.DocumentAttributeFilename{FileName: "report.pdf"}), "[File: report.pdf]"},
		{doc("audio/ogg", &tg.DocumentAttributeAudio{Voice: true, Duration: 3}), "[Voice message]"},
		{doc("image/webp", &tg.DocumentAttributeSticker{Alt: "😀", Stickerset: &tg.InputStickerSetEmpty{}}, &tg.DocumentAttributeFilename{FileName: "sticker.webp"}), "[Sticker: 😀]"},
	} {
		id := 100 + 2*i
		s.messageEvents(ctx, &tg.Message{ID: id, PeerID: bobPeer, FromID: bobPeer, Date: 1700000000, Media: tc.media}, false)
		r := &tg.Message{ID: id + 1, PeerID: bobPeer, FromID: bobPeer, Date: 1700000010, Message: "about that", ReplyTo: &tg.MessageReplyHeader{ReplyToMsgID: id}}
		evs := s.messageEvents(ctx, r, false)
		if len(evs) != 1 {
			t.Fatalf("events %v", evs)
		}
		if got := evs[0].GetMessage(); got.QuoteText != tc.want || got.QuoteAuthorId != "1002" {
			t.Errorf("a reply to %T quotes %q by %q, want %q by 1002", tc.media, got.QuoteText, got.QuoteAuthorId, tc.want)
		}
	}
}
