package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// The first sticker of a pack signal-cli has not seen: it downloads the
// pack in a job of its own after it wrote the envelope, and its
// getSticker, asked before that job is done, fetches the pack but
// answers the sticker is not found all the same. The gateway asks for
// the image as the message comes: it gets it. Before, the user read
// that the file could not be fetched, for the first sticker of every
// new pack.
func TestStickerOfNewPack(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	const pack = "1a2b3c4d5e6f708192a3b4c5d6e7f809"
	webp := []byte("RIFF\x24\x00\x00\x00WEBPVP8 new pack")
	d.AddSticker(alice, pack, 3, webp)
	d.StickerPackLate(alice, pack)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Sticker: &fakesignal.Sticker{PackID: pack, StickerID: 3}}})
	ev := s.next(func(ev *pb.Event) bool { return len(ev.GetMessage().GetAttachments()) > 0 })
	info, got := downloadWithInfo(t, s, bob, ev.GetMessage().Attachments[0].GetRef())
	if got != string(webp) || info.GetMimeType() != "image/webp" {
		t.Fatalf("sticker of a new pack: %q (%v), want its image", got, info)
	}
}
