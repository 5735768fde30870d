package telegram

import (
	"context"
	"testing"

	"github.com/gotd/td/tg"
)

// A self-destructing photo or file (view once, or a timer) is said, not
// fetched: it arrived as an ordinary file that the XMPP archive keeps for
// ever. One already gone (Telegram gives no photo or document) arrived
// as an empty message.
func TestSelfDestructingMedia(t *testing.T) {
	s, _ := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, nil)
	photo := &tg.Photo{ID: 5, AccessHash: 6, FileReference: []byte{1}, Sizes: []tg.PhotoSizeClass{&tg.PhotoSize{Type: "x", W: 800, H: 600, Size: 1000}}}
	timedPhoto := &tg.MessageMediaPhoto{}
	timedPhoto.SetPhoto(photo)
	timedPhoto.SetTTLSeconds(10)
	goneDoc := &tg.MessageMediaDocument{Voice: true}
	goneDoc.SetTTLSeconds(2147483647) // view once
	timedVideo := &tg.MessageMediaDocument{Video: true}
	timedVideo.SetDocument(&tg.Document{ID: 7, AccessHash: 8, MimeType: "video/mp4", Size: 100})
	timedVideo.SetTTLSeconds(30)
	for _, tc := range []struct {
		name  string
		media tg.MessageMediaClass
		want  string
	}{
		{"a timed photo", timedPhoto, "⚠ A self-destructing photo the gateway cannot show: see it in Telegram."},
		{"a view-once video", timedVideo, "⚠ A self-destructing video the gateway cannot show: see it in Telegram."},
		{"a voice message gone", goneDoc, "⚠ A self-destructing voice message: it is gone, Telegram no longer has it."},
		{"a photo gone", &tg.MessageMediaPhoto{}, "⚠ A self-destructing photo: it is gone, Telegram no longer has it."},
	} {
		m := &tg.Message{ID: 500, PeerID: &tg.PeerUser{UserID: 1002}, FromID: &tg.PeerUser{UserID: 1002}, Date: 1700000000, Media: tc.media}
		for _, history := range []bool{false, true} {
			evs := s.messageEvents(context.Background(), m, history)
			if len(evs) != 1 {
				t.Fatalf("%s: events %v", tc.name, evs)
			}
			if me := evs[0].GetMessage(); me.Text != tc.want || len(me.Attachments) != 0 {
				t.Errorf("%s (history %v): %q, attachments %v; want %q, none", tc.name, history, me.Text, me.Attachments, tc.want)
			}
		}
	}
	// An ordinary photo is a file as before.
	plain := &tg.MessageMediaPhoto{}
	plain.SetPhoto(photo)
	m := &tg.Message{ID: 501, PeerID: &tg.PeerUser{UserID: 1002}, Date: 1700000000, Media: plain}
	if me := s.messageEvents(context.Background(), m, false)[0].GetMessage(); len(me.Attachments) != 1 || me.Text != "" {
		t.Errorf("an ordinary photo: %q %v", me.Text, me.Attachments)
	}
}
