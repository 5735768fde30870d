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
	shortGroupReadWait(t)
	r := newRig(t, "")
	_, fake := r.connected(t)
	channel := types.NewJID("120363100000000011", types.NewsletterServer)
	fake.SetChannel(wafake.Channel{JID: channel, Name: "Daily News"})
	fake.SetChannelsSilent(true)
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
	fake.SetChannelsSilent(false)
}

// ChatList while WhatsApp answers the groups but not the channels (a
// mex query): the groups are listed within the caller's time, the
// channels' query bounded by groupReadWait. Before, it took the
// caller's whole time, and the gateway, its call ended, synced no
// group at all.
func TestChatListChannelsSilent(t *testing.T) {
	shortGroupReadWait(t)
	r := newRig(t, "")
	s, fake := r.connected(t)
	fake.SetGroup(&types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "Friends"},
		Participants: []types.GroupParticipant{{JID: phone, PhoneNumber: phone}}})
	fake.SetChannel(wafake.Channel{JID: types.NewJID("120363100000000012", types.NewsletterServer), Name: "Daily News"})
	fake.SetChannelsSilent(true)
	defer fake.SetChannelsSilent(false)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	chats, err := s.ChatList(ctx)
	if ctx.Err() != nil {
		t.Fatalf("ChatList answered once the caller's time was over: %v, %v", chats, err)
	}
	if err != nil || len(chats) != 1 || chats[0].ChatId != group.String() {
		t.Errorf("ChatList: %v, %v, want the group alone", chats, err)
	}
}

// The profile of a channel's posts' sender (UserInfo, asked for its
// vCard) is the channel's, named as it is, whether its name is known
// or asked; not a contact's named by its JID, its picture asked of
// WhatsApp's one-to-one path. A channel the user does not follow is not
// found.
func TestChannelSenderProfile(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	channel := types.NewJID("120363100000000014", types.NewsletterServer)
	fake.SetChannel(wafake.Channel{JID: channel, Name: "Daily News"})
	ctx := context.Background()
	for _, how := range []string{"asked", "known"} {
		c, err := s.UserInfo(ctx, channel.String())
		if err != nil || c.GetUserId() != channel.String() || c.GetName() != "Daily News" || c.GetPhone() != "" {
			t.Errorf("UserInfo of the channel, its name %s: %v, %v, want the channel named Daily News", how, c, err)
		}
	}
	other := types.NewJID("120363100000000015", types.NewsletterServer)
	if c, err := s.UserInfo(ctx, other.String()); err == nil {
		t.Errorf("UserInfo of a channel not followed: %v, want an error", c)
	}
}

// ChatInfo of a channel listed before, while WhatsApp does not answer:
// the channel as last listed, within the caller's time (groupReadWait),
// as a group kept is. Before, the caller's whole time went, and the
// room could not be joined.
func TestChannelInfoKnownWhenSilent(t *testing.T) {
	shortGroupReadWait(t)
	r := newRig(t, "")
	s, fake := r.connected(t)
	channel := types.NewJID("120363100000000016", types.NewsletterServer)
	fake.SetChannel(wafake.Channel{JID: channel, Name: "Daily News", Description: "news every day"})
	if chats, err := s.ChatList(context.Background()); err != nil || len(chats) != 1 {
		t.Fatalf("ChatList: %v, %v, want the channel", chats, err)
	}
	fake.SetChannelsSilent(true)
	defer fake.SetChannelsSilent(false)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := s.ChatInfo(ctx, channel.String())
	if ctx.Err() != nil {
		t.Fatalf("ChatInfo answered once the caller's time was over: %v, %v", c, err)
	}
	if err != nil || c.GetType() != pb.ChatType_CHAT_TYPE_CHANNEL || c.GetName() != "Daily News" || c.GetTopic() != "news every day" || !c.GetReadOnly() {
		t.Errorf("ChatInfo: %v, %v, want the channel as listed", c, err)
	}
	// As a group's last known description is: the gateway tells the user
	// it may be out of date.
	if !c.GetStale() {
		t.Error("the channel described as last known is not marked stale")
	}
}

// shortGroupReadWait makes groupReadWait 200 ms for the test t.
func shortGroupReadWait(t *testing.T) {
	old := groupReadWaitNS.Swap(int64(200 * time.Millisecond))
	t.Cleanup(func() { groupReadWaitNS.Store(old) })
}
