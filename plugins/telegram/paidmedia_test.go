package telegram

import (
	"context"
	"testing"

	"github.com/gotd/td/tg"
)

// Paid media: not bought, its price and where to buy it, no file; bought,
// its photo as the message's file (an album's first, the text saying how
// many more). Before, each read "Paid media the gateway cannot show",
// bought or not, without a price.
func TestPaidMedia(t *testing.T) {
	s, _ := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, nil)
	photo := &tg.MessageMediaPhoto{Photo: &tg.Photo{ID: 5, AccessHash: 6, FileReference: []byte{1},
		Sizes: []tg.PhotoSizeClass{&tg.PhotoSize{Type: "y", W: 800, H: 600, Size: 1000}}}}
	msg := func(id int, md tg.MessageMediaClass) *tg.Message {
		return &tg.Message{ID: id, PeerID: &tg.PeerUser{UserID: 1002}, FromID: &tg.PeerUser{UserID: 1002}, Date: 1700000000, Message: "for fans", Media: md}
	}
	ctx := context.Background()

	me := s.messageEvents(ctx, msg(10, &tg.MessageMediaPaidMedia{StarsAmount: 50,
		ExtendedMedia: []tg.MessageExtendedMediaClass{&tg.MessageExtendedMediaPreview{W: 800, H: 600}}}), false)[0].GetMessage()
	if want := "⚠ Paid media (50 Telegram Stars) the gateway cannot show: see it and buy it in Telegram.\n\nfor fans"; me.Text != want || len(me.Attachments) != 0 {
		t.Errorf("not bought: %q %v, want %q and no file", me.Text, me.Attachments, want)
	}

	me = s.messageEvents(ctx, msg(11, &tg.MessageMediaPaidMedia{StarsAmount: 50,
		ExtendedMedia: []tg.MessageExtendedMediaClass{&tg.MessageExtendedMedia{Media: photo}}}), false)[0].GetMessage()
	if len(me.Attachments) != 1 || me.Attachments[0].MimeType != "image/jpeg" || me.Attachments[0].Width != 800 || me.Text != "for fans" {
		t.Errorf("bought: %q %v, want the photo with its caption", me.Text, me.Attachments)
	}

	me = s.messageEvents(ctx, msg(12, &tg.MessageMediaPaidMedia{StarsAmount: 50,
		ExtendedMedia: []tg.MessageExtendedMediaClass{&tg.MessageExtendedMedia{Media: photo}, &tg.MessageExtendedMedia{Media: photo}}}), false)[0].GetMessage()
	if want := "Paid media of 2 files, bought: the first is here; see the others in Telegram.\n\nfor fans"; len(me.Attachments) != 1 || me.Text != want {
		t.Errorf("an album bought: %q %v, want the first photo and %q", me.Text, me.Attachments, want)
	}
}
