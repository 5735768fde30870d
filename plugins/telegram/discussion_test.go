package telegram

import (
	"strconv"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// A channel with comments on the fake Telegram: each post is copied into
// its discussion group from the channel itself, which Telegram's apps
// show as the channel's post there, not as a forward (it read
// "Forwarded from News:" from News); a comment is a reply to that copy,
// quoting the post and its author.
func TestDiscussionGroupComments(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 900, Title: "News", Broadcast: true, Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	srv.AddChannel(tgfake.Channel{ID: 901, Title: "News chat", Members: []int64{alice.ID, bob.ID, carol.ID}, Creator: bob.ID})
	_, h, _, _ := connectAlice(t, srv)
	in := func(chat, text string) func(*pb.Event) bool {
		return func(ev *pb.Event) bool {
			return ev.ChatId == chat && ev.GetMessage() != nil && ev.GetMessage().Text == text
		}
	}

	from := h.count()
	post := srv.Send(bob.ID, &tg.PeerChannel{ChannelID: 900}, "Big news")
	h.wait(t, from, "the channel's post", in("-100900", "Big news"))
	cp := srv.AutoForward(900, 901, post)
	ev := h.wait(t, from, "the post in the discussion group", func(ev *pb.Event) bool { return ev.ChatId == "-100901" && ev.GetMessage() != nil })
	if got := ev.GetMessage().Text; got != "Big news" || ev.Sender.GetUserId() != "-100900" || ev.Sender.GetName() != "News" || ev.EventId != strconv.Itoa(cp) {
		t.Errorf("the post's copy: %q from %s (%q), id %s; want \"Big news\" from -100900 (News), id %d", got, ev.Sender.GetUserId(), ev.Sender.GetName(), ev.EventId, cp)
	}

	srv.Send(carol.ID, &tg.PeerChannel{ChannelID: 901}, "Great post!", tgfake.WithReply(cp))
	ev = h.wait(t, from, "carol's comment", in("-100901", "Great post!"))
	me := ev.GetMessage()
	if me.ReplyToId != strconv.Itoa(cp) || me.QuoteText != "Big news" || me.QuoteAuthorId != "-100900" || ev.Sender.GetUserId() != strconv.FormatInt(carol.ID, 10) {
		t.Errorf("the comment: %v; want carol's reply to %d quoting \"Big news\" by -100900", ev, cp)
	}

}
