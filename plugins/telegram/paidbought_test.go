package telegram

import (
	"bytes"
	"io"
	"strconv"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// Paid media of a channel bought in a Telegram app after its post came
// (updateMessageExtendedMedia, on the fake Telegram): its file comes as
// a message replying to the post, from the channel, and downloads; told
// twice, it comes once. The post stayed its price, the file never
// shown.
func TestPaidMediaBoughtLater(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 900, Title: "News", Broadcast: true, Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	from := h.count()
	preview := &tg.MessageMediaPaidMedia{StarsAmount: 50, ExtendedMedia: []tg.MessageExtendedMediaClass{&tg.MessageExtendedMediaPreview{W: 800, H: 600}}}
	post := srv.Send(bob.ID, &tg.PeerChannel{ChannelID: 900}, "for fans", tgfake.WithMedia(preview))
	h.wait(t, from, "the paid post", func(ev *pb.Event) bool { return ev.ChatId == "-100900" && ev.GetMessage() != nil })

	photo := bytes.Repeat([]byte("jpeg"), 5000)
	srv.BuyPaidMedia(alice.ID, 900, post, srv.AddMedia(photo, "image/jpeg"))
	isBought := func(ev *pb.Event) bool { return ev.ChatId == "-100900" && len(ev.GetMessage().GetAttachments()) == 1 }
	ev := h.wait(t, from, "the file bought", isBought)
	me := ev.GetMessage()
	if me.ReplyToId != strconv.Itoa(post) || me.Text != paidBoughtText || ev.Sender.GetUserId() != "-100900" || ev.Sender.GetName() != "News" {
		t.Errorf("bought: %v; want a reply to %d from News", ev, post)
	}
	_, r, err := s.DownloadMedia(ctx, "-100900", me.Attachments[0].GetRef())
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, photo) {
		t.Errorf("downloaded %d bytes (%v), want %d", len(got), err, len(photo))
	}
	// Told again: the same event ID, which the gateway drops.
	n := h.count()
	srv.BuyPaidMedia(alice.ID, 900, post, srv.AddMedia(photo, "image/jpeg"))
	again := h.wait(t, n, "the update told again", isBought)
	if again.EventId != ev.EventId {
		t.Errorf("told again as %s, want %s", again.EventId, ev.EventId)
	}
}

// Paid media bought in a forum's topic after its post came: the update
// names no topic, but the post's topic was kept as the post came, so the
// file comes in the topic's room, where its post is, and downloads from
// there. It went to the forum's room (General), replying to a post not
// in it.
func TestPaidMediaBoughtInTopic(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 910, Title: "Market", Forum: true, Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	stalls := srv.CreateTopic(910, bob.ID, "Stalls")
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	topicRoom := topicChatID("-100910", stalls)
	from := h.count()
	preview := &tg.MessageMediaPaidMedia{StarsAmount: 20, ExtendedMedia: []tg.MessageExtendedMediaClass{&tg.MessageExtendedMediaPreview{W: 800, H: 600}}}
	post := srv.Send(bob.ID, &tg.PeerChannel{ChannelID: 910}, "fresh bread", tgfake.WithMedia(preview), tgfake.WithTopic(stalls))
	h.wait(t, from, "the paid post in its topic", func(ev *pb.Event) bool { return ev.ChatId == topicRoom && ev.GetMessage() != nil })

	photo := bytes.Repeat([]byte("loaf"), 4000)
	srv.BuyPaidMedia(alice.ID, 910, post, srv.AddMedia(photo, "image/jpeg"))
	ev := h.wait(t, from, "the file bought", func(ev *pb.Event) bool { return len(ev.GetMessage().GetAttachments()) == 1 })
	me := ev.GetMessage()
	if ev.ChatId != topicRoom || me.ReplyToId != strconv.Itoa(post) || me.Text != paidBoughtText {
		t.Fatalf("bought: %v; want in %s, a reply to %d", ev, topicRoom, post)
	}
	_, r, err := s.DownloadMedia(ctx, ev.ChatId, me.Attachments[0].GetRef())
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, photo) {
		t.Errorf("downloaded %d bytes (%v), want %d", len(got), err, len(photo))
	}
}

// Paid media bought later of a forum post read only in the history (it
// came before the login followed the forum): its file comes in the
// post's topic room, the topic kept as the history was read.
func TestPaidMediaBoughtInTopicFromHistory(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 911, Title: "Bazaar", Forum: true, Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	stalls := srv.CreateTopic(911, bob.ID, "Stalls")
	preview := &tg.MessageMediaPaidMedia{StarsAmount: 20, ExtendedMedia: []tg.MessageExtendedMediaClass{&tg.MessageExtendedMediaPreview{W: 800, H: 600}}}
	post := srv.Send(bob.ID, &tg.PeerChannel{ChannelID: 911}, "old bread", tgfake.WithMedia(preview), tgfake.WithTopic(stalls))
	s, h, _, _ := connectAlice(t, srv)
	topicRoom := topicChatID("-100911", stalls)
	if err := s.Backfill(ctxT(t), sdk.BackfillRequest{ChatID: topicRoom, Limit: 10}); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range h.waitHistory(t, 0).Events {
		found = found || ev.EventId == strconv.Itoa(post)
	}
	if !found {
		t.Fatalf("post %d not in the topic's history", post)
	}
	from := h.count()
	srv.BuyPaidMedia(alice.ID, 911, post, srv.AddMedia(bytes.Repeat([]byte("loaf"), 4000), "image/jpeg"))
	ev := h.wait(t, from, "the file bought", func(ev *pb.Event) bool { return len(ev.GetMessage().GetAttachments()) == 1 })
	if ev.ChatId != topicRoom || ev.GetMessage().ReplyToId != strconv.Itoa(post) {
		t.Fatalf("bought: %v; want in %s, a reply to %d", ev, topicRoom, post)
	}
}
