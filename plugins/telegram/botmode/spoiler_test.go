package botmode_test

import (
	"context"
	"fmt"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A photo or video Telegram shows hidden (has_media_spoiler) arrives
// with Attachment.spoiler set, one not hidden without; a photo, video or
// GIF the XMPP user marked hidden goes with has_spoiler (the GIF by
// sendAnimation, as a document cannot be hidden), a file not marked
// without. The mark was dropped both ways before.
func TestSpoilerBothWays(t *testing.T) {
	api := newFakeAPI(t)
	api.push(fmt.Sprintf(`{"message":{"message_id":3,"date":1700000000,"chat":{"id":%d,"type":"private","first_name":"Alice"},
		"from":{"id":%d,"is_bot":false,"first_name":"Alice"},"caption":"hidden photo","has_media_spoiler":true,"photo":[
		{"file_id":"p","file_unique_id":"p","width":90,"height":60,"file_size":100}]}}`, alice, alice))
	api.push(fmt.Sprintf(`{"message":{"message_id":4,"date":1700000000,"chat":{"id":%d,"type":"private","first_name":"Alice"},
		"from":{"id":%d,"is_bot":false,"first_name":"Alice"},"caption":"hidden video","has_media_spoiler":true,"video":
		{"file_id":"v","file_unique_id":"v","width":90,"height":60,"duration":3,"file_size":100}}}`, alice, alice))
	api.push(fmt.Sprintf(`{"message":{"message_id":5,"date":1700000000,"chat":{"id":%d,"type":"private","first_name":"Alice"},
		"from":{"id":%d,"is_bot":false,"first_name":"Alice"},"caption":"plain photo","photo":[
		{"file_id":"q","file_unique_id":"q","width":90,"height":60,"file_size":100}]}}`, alice, alice))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	for text, want := range map[string]bool{"hidden photo": true, "hidden video": true, "plain photo": false} {
		as := h.waitEvent(t, 0, text, isText(text)).GetMessage().GetAttachments()
		if len(as) != 1 || as[0].GetSpoiler() != want {
			t.Errorf("%s: attachments %v, want one with spoiler %v", text, as, want)
		}
	}

	ctx := context.Background()
	file := func(name, mime string, hidden bool) *pb.Attachment {
		return &pb.Attachment{Name: name, MimeType: mime, Spoiler: hidden, Source: &pb.Attachment_Data{Data: []byte("bytes of " + name)}}
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "501"}, &pb.SendMessage{Attachments: []*pb.Attachment{
		file("a.jpg", "image/jpeg", true), file("b.mp4", "video/mp4", true), file("c.gif", "image/gif", true),
		file("d.jpg", "image/jpeg", false), file("e.gif", "image/gif", false)}}); err != nil {
		t.Fatal(err)
	}
	for method, want := range map[string][]string{"sendPhoto": {"true", ""}, "sendVideo": {"true"}, "sendAnimation": {"true"}} {
		calls := api.callsOf(method)
		if len(calls) != len(want) {
			t.Errorf("%s: %d calls, want %d", method, len(calls), len(want))
			continue
		}
		for i, c := range calls {
			if c.Params["has_spoiler"] != want[i] {
				t.Errorf("%s %d: has_spoiler %q, want %q", method, i, c.Params["has_spoiler"], want[i])
			}
		}
	}
	if c := api.callsOf("sendDocument"); len(c) != 1 || c[0].Params["document.filename"] != "e.gif" {
		t.Errorf("sendDocument: %v, want the GIF not marked alone", c)
	}
}
