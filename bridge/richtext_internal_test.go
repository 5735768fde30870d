package bridge

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/format"
	"passerelle.im/passerelle/bridge/wire"

	"google.golang.org/protobuf/proto"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// A network that does not take formatted text gets the body as typed;
// one that does gets the text without the directives, and the spans.
func TestUserText(t *testing.T) {
	body := "*bold* and _it_"
	if text, spans := userText(&pb.Features{}, body, "", false); text != body || spans != nil {
		t.Errorf("without formatting: %q %v, want the body as typed", text, spans)
	}
	if text, spans := userText(nil, body, "", false); text != body || spans != nil {
		t.Errorf("before the plugin said: %q %v, want the body as typed", text, spans)
	}
	text, spans := userText(&pb.Features{Formatting: true}, body, "", false)
	if text != "bold and it" || len(spans) != 2 || spans[0].Style != pb.Span_STYLE_BOLD || spans[1].Style != pb.Span_STYLE_ITALIC {
		t.Errorf("with formatting: %q %v", text, spans)
	}
	// A spoiler (XEP-0382): one span over the whole text, outermost.
	text, spans = userText(&pb.Features{Formatting: true}, body, "", true)
	if text != "bold and it" || len(spans) != 3 || spans[0].Style != pb.Span_STYLE_SPOILER || spans[0].Start != 0 || spans[0].End != uint32(len(text)) {
		t.Errorf("a spoiler: %q %v", text, spans)
	}
	if text, spans := userText(&pb.Features{}, body, "", true); text != body || spans != nil {
		t.Errorf("a spoiler without formatting: %q %v, want the body as typed", text, spans)
	}
	// A subject on the first line: bold, its asterisks its own (a
	// subject is no XEP-0393 text), the body's styling after it.
	text, spans = userText(&pb.Features{Formatting: true}, "a *b*\n_it_", "a *b*", false)
	if text != "a *b*\nit" || len(spans) != 2 || !proto.Equal(spans[0], &pb.Span{Start: 0, End: 5, Style: pb.Span_STYLE_BOLD}) ||
		spans[1].Start != 6 || spans[1].End != 8 || spans[1].Style != pb.Span_STYLE_ITALIC {
		t.Errorf("a subject: %q %v", text, spans)
	}
	if text, spans := userText(&pb.Features{Formatting: true}, "news", "news", false); text != "news" || len(spans) != 1 || spans[0].End != 4 {
		t.Errorf("a subject alone: %q %v", text, spans)
	}
}

// A message's metadata is stored with it and found by either ID; metadata
// over the contract's limit is dropped, not the message.
func TestMetaStoredOrDropped(t *testing.T) {
	tr := newTestTransport(t)
	ctx := context.Background()
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go tr.commitLoop(cctx)
	delivered := captureDeliveries(tr)
	meta := []byte("sender\x00from-me")
	evs := []*pb.Event{
		{LoginId: "l", ChatId: "bob", EventId: "net-1", Meta: meta, ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
			Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "hi"}}},
		{LoginId: "l", ChatId: "bob", EventId: "net-2", Meta: bytes.Repeat([]byte("m"), store.MaxMeta+1), ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
			Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "big"}}},
	}
	if err := <-tr.storeEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	d1, d2 := <-delivered, <-delivered
	r, err := tr.lookupXMPP(ctx, "l", "bob", d1.xid)
	if err != nil || r.RemoteID != "net-1" || !bytes.Equal(r.Meta, meta) {
		t.Errorf("by XMPP ID: %+v, %v; want net-1 with its metadata", r, err)
	}
	if r, err := tr.db.LookupRemote("echo", "l", "bob", "net-1"); err != nil || !bytes.Equal(r.Meta, meta) {
		t.Errorf("by remote ID: %+v, %v; want its metadata", r, err)
	}
	r, err = tr.lookupXMPP(ctx, "l", "bob", d2.xid)
	if err != nil || r.RemoteID != "net-2" || r.Meta != nil {
		t.Errorf("oversized metadata: %+v, %v; want net-2 stored without it", r, err)
	}
	if d2.ev.GetMessage().GetText() != "big" {
		t.Errorf("the message itself changed: %v", d2.ev)
	}
}

// A network message's spans become a XEP-0393 body; its mentions
// XEP-0372 references in code points, moved by what comes before the
// text; a spoiler that is the whole body a XEP-0382 spoiler.
func TestAnnotate(t *testing.T) {
	tr := newTestTransport(t)
	tr.domain = "echo.localhost"
	c := chatOut{t: tr, ev: &pb.Event{LoginId: "l", ChatId: "bob"}}
	text := "héllo bob and echo-1 or zz"
	r := c.richText(text, []*pb.Span{
		{Start: 0, End: 6, Style: pb.Span_STYLE_BOLD},
		{Start: 7, End: 10, Style: pb.Span_STYLE_MENTION, UserId: "bob"},
		{Start: 15, End: 21, Style: pb.Span_STYLE_MENTION, UserId: "echo-1"},
		{Start: 25, End: 27, Style: pb.Span_STYLE_MENTION, UserId: "bad\x00id"}, // no JID: no reference
	})
	if r.Body != "*héllo* bob and echo-1 or zz" || len(r.Mentions) != 3 {
		t.Fatalf("rendered %+v", r)
	}
	for _, prefix := range []string{"", "> quoted ☕\n"} {
		var w wire.Writer
		c.annotate(&w, r, prefix+r.Body)
		got := w.String()
		n := len([]rune(prefix))
		want := fmt.Sprintf(`<reference xmlns="urn:xmpp:reference:0" type="mention" begin="%d" end="%d" uri="xmpp:bob@echo.localhost"/>`+
			`<reference xmlns="urn:xmpp:reference:0" type="mention" begin="%d" end="%d" uri="xmpp:echo-1@echo.localhost"/>`, 8+n, 11+n, 16+n, 22+n)
		if got != want {
			t.Errorf("with %q before: %s\nwant %s", prefix, got, want)
		}
	}
	whole := c.richText("the end", []*pb.Span{{Start: 0, End: 7, Style: pb.Span_STYLE_SPOILER}})
	part := c.richText("the end", []*pb.Span{{Start: 4, End: 7, Style: pb.Span_STYLE_SPOILER}})
	for _, tc := range []struct {
		r      format.Rendered
		prefix string
		want   bool
	}{{whole, "", true}, {whole, "> q\n", false}, {part, "", false}} {
		var w wire.Writer
		c.annotate(&w, tc.r, tc.prefix+tc.r.Body)
		if got := strings.Contains(w.String(), "urn:xmpp:spoiler:0"); got != tc.want {
			t.Errorf("spoiler of %q after %q: %v, want %v (%s)", tc.r.Body, tc.prefix, got, tc.want, w.String())
		}
	}
}
