package whatsapp

import (
	"context"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// Posts of a channel whose name is not known yet, while WhatsApp does
// not answer: whatsmeow runs its events one at a time, so the first
// post asks for the name no longer than groupReadWait, and comes under
// the channel's ID; the posts after it do not ask again (each would hold
// every event behind it as long again), and the message after them
// comes. Before, every post asked, and waited.
func TestChannelNameAskedOnceWhenSilent(t *testing.T) {
	defer func(d time.Duration) { groupReadWait = d }(groupReadWait)
	groupReadWait = 200 * time.Millisecond
	r := newRig(t, "")
	_, fake := r.connected(t)
	channel := types.NewJID("120363100000000011", types.NewsletterServer)
	fake.SetChannel(wafake.Channel{JID: channel, Name: "Daily News"})
	fake.SetSilent(true)
	from := r.host.count()
	go func() {
		for i, id := range []types.MessageID{"NLS1", "NLS2", "NLS3"} {
			_ = fake.ChannelPost(context.Background(), channel, id, 10+i, when, &waE2E.Message{Conversation: proto.String("news " + string(id))})
		}
		fake.Receive(context.Background(), &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "AFTER", Timestamp: when},
			&waE2E.Message{Conversation: proto.String("after the posts")})
	}()
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "AFTER" })
	posts := 0
	for _, ev := range r.host.since(from) {
		if ev.ChatId != channel.String() {
			continue
		}
		posts++
		if ev.Sender.GetUserId() != channel.String() || ev.Sender.GetName() != "" {
			t.Errorf("post %s from %v, want the channel, under its ID", ev.EventId, ev.Sender)
		}
	}
	if posts != 3 {
		t.Errorf("%d posts shown, want 3", posts)
	}
	if n := fake.ChannelsAsked(); n != 1 {
		t.Errorf("the channel's name asked %d times, want once", n)
	}
	fake.SetSilent(false)
}
