package telegram

import (
	"strconv"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// A plain reply to a message the plugin has not seen since it started
// (sent before the login) carries that message's start and author,
// asked of Telegram once: messages.getMessages in a private chat and a
// basic group, channels.getMessages in a supergroup. A second reply to
// it asks nothing.
func TestReplyQuoteFetched(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 610, Title: "Club", Members: []int64{alice.ID, bob.ID}, Creator: alice.ID})
	alicePeer, group, club := &tg.PeerUser{UserID: alice.ID}, &tg.PeerChat{ChatID: 77}, &tg.PeerChannel{ChannelID: 610}
	oldDM := srv.Send(bob.ID, alicePeer, "an old private word")
	mineDM := srv.Send(alice.ID, bobPeer, "alice's old word")
	oldGroup := srv.Send(bob.ID, group, "an old word to the group")
	oldClub := srv.Send(bob.ID, club, "an old word to the club")
	_, h, _, _ := connectAlice(t, srv)

	for _, tc := range []struct {
		name, chat string
		to         tg.PeerClass
		reply      int // in bob's box, or the channel's
		replyTo    string
		quote      string
		author     string
		fromMe     bool
		request    string
	}{
		{"a reply in a private chat", "1002", alicePeer, srv.ID(oldDM, bob.ID), strconv.Itoa(srv.ID(oldDM, alice.ID)),
			"an old private word", "1002", false, "messages.getMessages"},
		{"a reply to the user's own message", "1002", alicePeer, srv.ID(mineDM, bob.ID), strconv.Itoa(srv.ID(mineDM, alice.ID)),
			"alice's old word", "", true, "messages.getMessages"},
		{"a reply in a basic group", "-77", group, srv.ID(oldGroup, bob.ID), strconv.Itoa(srv.ID(oldGroup, alice.ID)),
			"an old word to the group", "1002", false, "messages.getMessages"},
		{"a reply in a supergroup", "-100610", club, oldClub, strconv.Itoa(oldClub),
			"an old word to the club", "1002", false, "channels.getMessages"},
	} {
		for i, again := range []bool{false, true} {
			asked := srv.Requests(tc.request)
			from := h.count()
			text := tc.name + " " + strconv.Itoa(i)
			srv.Send(bob.ID, tc.to, text, tgfake.WithReply(tc.reply))
			got := h.wait(t, from, tc.name, isMessage(tc.chat, text)).GetMessage()
			if got.ReplyToId != tc.replyTo || got.QuoteText != tc.quote || got.QuoteAuthorId != tc.author || got.QuoteFromMe != tc.fromMe {
				t.Errorf("%s (again %v): reply to %q quoting %q by %q (from me %v), want reply to %q quoting %q by %q (from me %v)",
					tc.name, again, got.ReplyToId, got.QuoteText, got.QuoteAuthorId, got.QuoteFromMe,
					tc.replyTo, tc.quote, tc.author, tc.fromMe)
			}
			want := 1
			if again {
				want = 0
			}
			if n := srv.Requests(tc.request) - asked; n != want {
				t.Errorf("%s (again %v): %d %s, want %d", tc.name, again, n, tc.request, want)
			}
		}
	}
}

// Telegram failing to give the replied message, or not answering in
// time, costs the reply its quote, not the reply: it comes, answering
// the message, without a quote. After a failure, replies ask nothing
// for a while, so that a Telegram that does not answer holds back one
// reply, not each.
func TestReplyQuoteFetchFails(t *testing.T) {
	timeout, pause := quoteFetchTimeout, quoteFetchPause
	t.Cleanup(func() { quoteFetchTimeout, quoteFetchPause = timeout, pause })
	srv := newFake(t)
	alicePeer := &tg.PeerUser{UserID: alice.ID}
	var old []int
	for _, text := range []string{"first old word", "second old word", "third old word"} {
		old = append(old, srv.Send(bob.ID, alicePeer, text))
	}
	s, h, _, _ := connectAlice(t, srv)

	replyWithout := func(what string, gid int) {
		t.Helper()
		from := h.count()
		srv.Send(bob.ID, alicePeer, what, tgfake.WithReply(srv.ID(gid, bob.ID)))
		got := h.wait(t, from, what, isMessage("1002", what)).GetMessage()
		if want := strconv.Itoa(srv.ID(gid, alice.ID)); got.ReplyToId != want || got.QuoteText != "" || got.QuoteAuthorId != "" || got.QuoteFromMe {
			t.Errorf("%s: reply to %q quoting %q by %q (from me %v), want a reply to %s without a quote",
				what, got.ReplyToId, got.QuoteText, got.QuoteAuthorId, got.QuoteFromMe, want)
		}
	}

	srv.FailRequest("messages.getMessages", 0, "SOMETHING_WENT_WRONG")
	asked := srv.Requests("messages.getMessages")
	replyWithout("a reply whose message Telegram refuses", old[0])
	if n := srv.Requests("messages.getMessages") - asked; n != 1 {
		t.Fatalf("%d messages.getMessages for the first reply, want 1", n)
	}
	replyWithout("a reply right after the failure", old[1])
	if n := srv.Requests("messages.getMessages") - asked; n != 1 {
		t.Errorf("%d messages.getMessages after the second reply, want still 1: none while paused", n)
	}

	// Telegram not answering at all, the pause over.
	quoteFetchTimeout, quoteFetchPause = 50*time.Millisecond, 0
	s.quoteFetch.mu.Lock()
	s.quoteFetch.resumeAt = time.Time{}
	s.quoteFetch.mu.Unlock()
	srv.DropAnswer("messages.getMessages")
	asked = srv.Requests("messages.getMessages")
	replyWithout("a reply whose message Telegram never gives", old[2])
	if n := srv.Requests("messages.getMessages") - asked; n != 1 {
		t.Errorf("%d messages.getMessages for the reply Telegram never answers, want 1", n)
	}

	// Once Telegram answers again, so does the quote.
	quoteFetchTimeout = timeout
	from := h.count()
	srv.Send(bob.ID, alicePeer, "a reply once Telegram answers", tgfake.WithReply(srv.ID(old[1], bob.ID)))
	got := h.wait(t, from, "the reply once Telegram answers", isMessage("1002", "a reply once Telegram answers")).GetMessage()
	if got.QuoteText != "second old word" || got.QuoteAuthorId != "1002" {
		t.Errorf("the reply once Telegram answers quotes %q by %q, want %q by 1002", got.QuoteText, got.QuoteAuthorId, "second old word")
	}
}
