package signal_test

import (
	"io"
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Stickers, contact cards, polls and payments used to be dropped (the
// message had no text and no attachment): each now reaches the user.
func TestReceiveRichContent(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)

	// A sticker: its image, fetched with getSticker, typed from its bytes.
	const pack = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	webp := []byte("RIFF\x24\x00\x00\x00WEBPVP8 sticker bytes")
	d.AddSticker(alice, pack, 7, webp)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Sticker: &fakesignal.Sticker{PackID: pack, StickerID: 7}}})
	ev := s.next(func(ev *pb.Event) bool { return len(ev.GetMessage().GetAttachments()) > 0 })
	a := ev.GetMessage().Attachments[0]
	if ev.ChatId != bob || a.GetRef() == "" || !strings.HasPrefix(a.MimeType, "image/") {
		t.Fatalf("sticker event: %v", ev)
	}
	info, got := downloadWithInfo(t, s, bob, a.GetRef())
	if got != string(webp) || info.GetMimeType() != "image/webp" {
		t.Fatalf("sticker downloaded as %q (%v), want the pack's image as image/webp", got, info)
	}
	// Other requests (a contacts sync) may come between: look for it.
	if !slices.ContainsFunc(d.Requests(alice), func(r fakesignal.Request) bool {
		return r.Method == "getSticker" && r.Params["packId"] == pack
	}) {
		t.Fatalf("requests %+v, want a getSticker of the pack", d.Requests(alice))
	}
	// One signal-cli cannot fetch: a clear error, not an empty file.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Sticker: &fakesignal.Sticker{PackID: pack, StickerID: 8}}})
	ev = s.next(func(ev *pb.Event) bool { return len(ev.GetMessage().GetAttachments()) > 0 })
	if _, _, err := fetch(s, bob, ev.GetMessage().Attachments[0].GetRef()); err == nil || !strings.Contains(err.Error(), "could not fetch") {
		t.Fatalf("missing sticker: err %v, want could not fetch", err)
	}

	// A contact card, a poll and a payment: shown as text.
	for _, c := range []struct {
		dm   fakesignal.DataMessage
		want string
	}{
		{fakesignal.DataMessage{Contacts: []any{map[string]any{
			"name":         map[string]any{"given": "Carol", "family": "Smith"},
			"phone":        []any{map[string]any{"value": "+33612345678", "type": "MOBILE"}},
			"email":        []any{map[string]any{"value": "carol@example.org", "type": "CUSTOM", "label": "club"}},
			"organization": "ACME"}}},
			"Contact: Carol Smith (ACME)\nPhone (mobile): +33612345678\nE-mail (club): carol@example.org"},
		{fakesignal.DataMessage{Message: fakesignal.Text("which day?"), PollCreate: map[string]any{
			"question": "Picnic", "allowMultiple": true, "options": []string{"Sat", "Sun"}}},
			"Poll: Picnic (several answers allowed)\n1. Sat\n2. Sun\n(vote with a reply: /vote 1, or on your phone)\n\nwhich day?"},
		{fakesignal.DataMessage{Payment: map[string]any{"note": "for lunch"}},
			"Payment from " + bob + ": for lunch\n(see it on your phone)"},
		// A poll beside a payment is not remembered for votes: only the
		// phone votes in it.
		{fakesignal.DataMessage{Payment: map[string]any{"note": "for lunch"}, PollCreate: map[string]any{
			"question": "Again?", "options": []string{"Yes"}}},
			"Poll: Again?\n1. Yes\n(vote on your phone)\n\nPayment from " + bob + ": for lunch\n(see it on your phone)"},
	} {
		dm := c.dm
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &dm})
		if ev := s.next(isText(c.want)); ev.ChatId != bob {
			t.Fatalf("%q in chat %s", c.want, ev.ChatId)
		}
	}

	// The body's spans move with it, after the content.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message:    fakesignal.Text("\uFFFC which day?"),
		Mentions:   []fakesignal.Mention{{Number: alice, UUID: aliceACI, Start: 0, Length: 1}},
		PollCreate: map[string]any{"question": "Picnic", "options": []string{"Sat"}}}})
	want := "Poll: Picnic\n1. Sat\n(vote with a reply: /vote 1, or on your phone)\n\n@" + alice + " which day?"
	ev = s.next(isText(want))
	if sp := ev.GetMessage().GetSpans(); len(sp) != 1 || sp[0].Style != pb.Span_STYLE_MENTION || want[sp[0].Start:sp[0].End] != "@"+alice {
		t.Fatalf("spans %v, want the mention on @%s", sp, alice)
	}
}

// download fetches ref's bytes.
func download(t *testing.T, s *session, chatID, ref string) string {
	t.Helper()
	_, b := downloadWithInfo(t, s, chatID, ref)
	return b
}

// downloadWithInfo fetches ref and returns what the plugin said of the
// file with its bytes.
func downloadWithInfo(t *testing.T, s *session, chatID, ref string) (*pb.MediaInfo, string) {
	t.Helper()
	info, b, err := fetch(s, chatID, ref)
	if err != nil {
		t.Fatalf("download %s: %v", ref, err)
	}
	return info, b
}

func fetch(s *session, chatID, ref string) (*pb.MediaInfo, string, error) {
	ctx, cancel := s.p.CallContext()
	defer cancel()
	st, err := s.p.Client().DownloadMedia(ctx, &pb.MediaRef{LoginId: s.loginID, ChatId: chatID, Ref: ref})
	if err != nil {
		return nil, "", err
	}
	var info *pb.MediaInfo
	var b []byte
	for {
		c, err := st.Recv()
		if err == io.EOF {
			return info, string(b), nil
		}
		if err != nil {
			return info, string(b), err
		}
		if c.Info != nil {
			info = c.Info
		}
		b = append(b, c.Data...)
	}
}
