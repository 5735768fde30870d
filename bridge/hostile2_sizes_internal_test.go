package bridge

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/media"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// noUpload is a server with no upload service: each IQ is answered
// service-unavailable, so files go to the gateway's own endpoint.
type noUpload struct{ n int }

func (u *noUpload) NewID() string { u.n++; return fmt.Sprint("q", u.n) }

func (u *noUpload) IQ(_ context.Context, _ string, data []byte) (*wire.Stanza, error) {
	req, err := wire.Parse(string(data))
	if err != nil {
		return nil, err
	}
	return wire.Parse(string(wire.ErrorReply(req, wire.ServiceUnavailable, "")))
}

// TestEscapedTextsFit: what a network sends at the sizes fitEvent lets
// through, of the characters XML escapes the most ('&' is five bytes
// written), makes stanzas the server takes: a reply quoting such a text
// with such a text of its own, a file whose caption is such a text, a
// file whose thumbnail is megabytes, such a text with a thousand
// mentions of users whose IDs are not ASCII (each reference's URI is
// five times the ID), or with links of such URLs (the body reads "text
// (url)"), a thousand mentions that read as a contact's long name.
// Before, each was over the server's stanza limit:
// the link wrote a notice in its place and the message, or the file, was
// lost to the user.
func TestEscapedTextsFit(t *testing.T) {
	tr, _ := aliceOnEcho(t)
	srv, err := media.NewServer(media.Config{Dir: t.TempDir(), PublicURL: "https://gw.example/media"})
	if err != nil {
		t.Fatal(err)
	}
	tr.mediaServer, tr.uploader = srv, media.NewUploader(&noUpload{}, "echo.localhost", media.FixedDomain("localhost"), nil)
	tr.dataDir = t.TempDir()
	ctx := context.Background()
	limit := tr.stanzaLimit()
	amps := strings.Repeat("&", 2<<20)
	ev := func(id string, m *pb.MessageEvent) *pb.Event {
		e := &pb.Event{LoginId: "l", ChatId: "bob", ChatType: pb.ChatType_CHAT_TYPE_DIRECT, EventId: id,
			Sender: &pb.Sender{UserId: "bob"}, Payload: &pb.Event_Message{Message: m}}
		tr.fitEvent(e)
		return e
	}
	check := func(what string, out [][]byte) {
		t.Helper()
		if len(out) == 0 {
			t.Fatalf("%s: nothing", what)
		}
		for _, st := range out {
			if len(st) > limit {
				t.Errorf("%s: a stanza of %d bytes, over the server's %d", what, len(st), limit)
			}
		}
	}
	check("message", tr.render(ctx, delivery{ev: ev("m1", &pb.MessageEvent{Text: amps}), xid: "x1"}))
	must(t, tr.db.PutMessages(ctx, []store.MessageRef{{Transport: "echo", LoginID: "l", ChatID: "bob", RemoteID: "m1", ID: "x1"}}))
	check("reply", tr.render(ctx, delivery{ev: ev("m2", &pb.MessageEvent{Text: amps, ReplyToId: "m1"}), xid: "x2"}))
	data := &pb.Attachment_Data{Data: []byte("hello")}
	out := tr.render(ctx, delivery{ev: ev("m3", &pb.MessageEvent{Attachments: []*pb.Attachment{{Name: "a.txt", Caption: amps, Source: data}}}), xid: "x3"})
	check("caption", out)
	if !strings.Contains(string(out[0]), "jabber:x:oob") {
		t.Errorf("caption: no file: %.300s", out[0])
	}
	var spans []*pb.Span
	for i := range 2000 {
		spans = append(spans, &pb.Span{Start: uint32(i * 30), End: uint32(i*30 + 5), Style: pb.Span_STYLE_MENTION, UserId: fmt.Sprintf("%04d", i) + strings.Repeat("é", 29)})
	}
	out = tr.render(ctx, delivery{ev: ev("m5", &pb.MessageEvent{Text: amps, Spans: spans}), xid: "x5"})
	check("mentions", out)
	if n := strings.Count(string(out[0]), "<reference"); n < 100 {
		t.Errorf("mentions: %d references kept, want the first hundreds", n)
	}
	// Links whose URLs are as long as intake lets them: the body
	// reads "text (url)".
	spans = nil
	for i := range 9 {
		spans = append(spans, &pb.Span{Start: uint32(i * 30), End: uint32(i*30 + 5), Style: pb.Span_STYLE_LINK, Url: "https://x/?" + strings.Repeat("&", 8000)})
	}
	check("links", tr.render(ctx, delivery{ev: ev("m6", &pb.MessageEvent{Text: amps, Spans: spans}), xid: "x6"}))
	// Mentions whose text is the raw ID read as the contact's name, of
	// as long as intake lets a name be.
	must(t, tr.db.PutPuppets(ctx, []store.Puppet{{Transport: "echo", LoginID: "l", UserID: "u1", Name: strings.Repeat("&", maxNameBytes)}}))
	spans = nil
	for i := range maxSpans {
		spans = append(spans, &pb.Span{Start: uint32(i * 3), End: uint32(i*3 + 2), Style: pb.Span_STYLE_MENTION, UserId: "u1"})
	}
	check("mention names", tr.render(ctx, delivery{ev: ev("m7", &pb.MessageEvent{Text: strings.Repeat("u1 ", maxSpans), Spans: spans}), xid: "x7"}))
	out = tr.render(ctx, delivery{ev: ev("m4", &pb.MessageEvent{Attachments: []*pb.Attachment{{Name: "a.jpg", Thumbnail: make([]byte, 3<<20), Source: data}}}), xid: "x4"})
	check("thumbnail", out)
	if !strings.Contains(string(out[0]), "jabber:x:oob") {
		t.Errorf("thumbnail: no file: %.300s", out[0])
	}
}
