package telegram

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// noneAfter fails t for each event from from on that after matches
// once first has matched: what must not come after it.
func noneAfter(t *testing.T, h *testHost, from int, first, after func(*pb.Event) bool, what string) {
	t.Helper()
	firsts := eventIndexes(h, from, first)
	if len(firsts) == 0 {
		return
	}
	for _, i := range eventIndexes(h, firsts[0], after) {
		t.Errorf("event %d: %s (after event %d)", i, what, firsts[0])
	}
}

// A message reacted to and then deleted while the gateway was away is
// retracted, and no reaction to it follows the retraction: the
// message is gone. In a private chat the catch-up
// (updates.getDifference) gives both; in a supergroup the reaction
// comes in the common catch-up, the deletion in the channel's
// (updates.getChannelDifference), in either order: a reaction may come
// before the retraction, never after. Before, the catch-up's reactions
// came after its deletions (takeSequenced): a reaction to a message
// already retracted.
func TestGapReactionToDeletedMessage(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 600, Title: "Big", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	s, h, info, n := connectAlice(t, srv)
	alicePeer := &tg.PeerUser{UserID: alice.ID}
	big := &tg.PeerChannel{ChannelID: 600}
	from := h.count()
	gone := srv.Send(bob.ID, alicePeer, "to react to, then delete")
	chGone := srv.Send(bob.ID, big, "to react to, then delete in big")
	h.wait(t, from, "the message before", isMessage("1002", "to react to, then delete"))
	h.wait(t, from, "the message before in big", isMessage("-100600", "to react to, then delete in big"))
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	srv.React(bob.ID, gone, "👍")
	srv.Delete(gone)
	srv.ReactChannel(bob.ID, 600, chGone, "🔥")
	srv.DeleteChannelMessages(600, chGone)

	from = h.count()
	connect(t, n, h, info)
	id, chID := strconv.Itoa(srv.ID(gone, alice.ID)), strconv.Itoa(chGone)
	isRetraction := func(ev *pb.Event) bool { return ev.ChatId == "1002" && ev.GetRetraction().GetTargetId() == id }
	isChRetraction := func(ev *pb.Event) bool {
		return ev.ChatId == "-100600" && ev.GetRetraction().GetTargetId() == chID
	}
	h.wait(t, from, "the deletion of the gap", isRetraction)
	h.wait(t, from, "the deletion of the channel's gap", isChRetraction)
	// Once a message after the gap came, the catch-up is over.
	srv.Send(bob.ID, alicePeer, "after")
	srv.Send(bob.ID, big, "after in big")
	h.wait(t, from, "the message after", isMessage("1002", "after"))
	h.wait(t, from, "the message after in big", isMessage("-100600", "after in big"))
	noneAfter(t, h, from, isRetraction, func(ev *pb.Event) bool { return ev.ChatId == "1002" && ev.GetReaction().GetTargetId() == id },
		"a reaction to the private chat's message retracted")
	noneAfter(t, h, from, isChRetraction, func(ev *pb.Event) bool { return ev.ChatId == "-100600" && ev.GetReaction().GetTargetId() == chID },
		"a reaction to the supergroup's message retracted")
}

// A reaction to a supergroup's message sent while the gateway was away
// comes after the message: the reaction (no pts) in the common
// catch-up (updates.getDifference), the message in the channel's own
// (updates.getChannelDifference), which gotd runs beside it; here the
// channel's answer comes after the common one is handled (the fake
// holds it until the common catch-up's message came). Before, the
// common catch-up's reactions went as it ended, before the channel's
// had given the message: a reaction to a message the gateway did not
// have.
func TestGapReactionToNewChannelMessage(t *testing.T) {
	srv, h, info, n, reacted := awayChannelReaction(t)

	release := srv.HoldAnswers("updates.getChannelDifference")
	t.Cleanup(release)
	from := h.count()
	connect(t, n, h, info)
	h.wait(t, from, "the common catch-up's message", isMessage("1002", "in the common catch-up"))
	release()
	id := strconv.Itoa(reacted)
	isMsg := func(ev *pb.Event) bool { return isMessage("-100600", "sent while away")(ev) && ev.EventId == id }
	isReaction := isReactionTo("-100600", id, "👍")
	h.wait(t, from, "the message of the channel's gap", isMsg)
	h.wait(t, from, "the reaction of the gap", isReaction)
	msg := eventIndexes(h, from, isMsg)[0]
	for _, i := range eventIndexes(h, from, isReaction) {
		if i < msg {
			t.Errorf("the reaction came before its message (events %d, %d)", i, msg)
		}
	}
}

// The user's own message sent from another app (their phone) and
// edited there while the gateway was away comes once, with its latest
// text (the catch-up gives it as it is now): no correction with the
// same text follows. An edit made on the phone later still comes.
// Before, the catch-up's edit of it was kept (the user's own edits
// are: the gateway's own message is not shown from the catch-up, and
// the edit is its only word; TestGapOwnMessageEdited), a correction
// with the same text after the message.
func TestGapOwnPhoneMessageEdited(t *testing.T) {
	srv := newFake(t)
	s, h, info, n := connectAlice(t, srv)
	alicePeer := &tg.PeerUser{UserID: alice.ID}
	from := h.count()
	srv.Send(bob.ID, alicePeer, "before")
	h.wait(t, from, "the message before", isMessage("1002", "before"))
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	mine := srv.Send(alice.ID, bobPeer, "mine, first words")
	srv.Edit(mine, "mine, edited on my phone")

	from = h.count()
	connect(t, n, h, info)
	id := strconv.Itoa(srv.ID(mine, alice.ID))
	h.wait(t, from, "the user's message of the gap", func(ev *pb.Event) bool {
		return ev.ChatId == "1002" && ev.EventId == id && ev.GetMessage().GetText() == "mine, edited on my phone" && ev.GetSender().GetIsFromMe()
	})
	// Once a message after the gap came, the catch-up is over.
	srv.Send(bob.ID, alicePeer, "after")
	h.wait(t, from, "the message after", isMessage("1002", "after"))
	srv.Edit(mine, "mine, edited again")
	h.wait(t, from, "the edit made on the phone later", func(ev *pb.Event) bool {
		return ev.ChatId == "1002" && ev.GetEdit().GetTargetId() == id && ev.GetEdit().GetText() == "mine, edited again"
	})
	for _, i := range eventIndexes(h, from, func(ev *pb.Event) bool {
		return (ev.ChatId == "1002" && ev.GetEdit().GetTargetId() == id && ev.GetEdit().GetText() == "mine, edited on my phone") ||
			isMessage("1002", "mine, first words")(ev)
	}) {
		t.Errorf("event %d: a correction with the same text, or the first text; want the message once with its latest text", i)
	}
}

// waitNextSecond waits until the clock is past the current second:
// dates are in seconds, and a state dated the same second as a reaction
// is given it again (the fake, as Telegram).
func waitNextSecond(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for at := time.Now().Unix(); time.Now().Unix() <= at; {
		if time.Now().After(deadline) {
			t.Fatal("the clock did not move")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A common catch-up's reaction to a supergroup's message, held for the
// channel's catch-up, whose event the journal fails to keep, comes at
// the next connection: the stored state's date goes back to before the
// catch-up, whose next one gives it again. Before, the common catch-up's
// state was saved when the reaction was held, and the reaction was lost.
func TestGapHeldReactionNotKept(t *testing.T) {
	srv, h, info, n, reacted := awayChannelReaction(t)
	alicePeer := &tg.PeerUser{UserID: alice.ID}
	waitNextSecond(t) // the catch-up's date past the reaction's

	release := srv.HoldAnswers("updates.getChannelDifference")
	t.Cleanup(release)
	from := h.count()
	s := connect(t, n, h, info)
	h.wait(t, from, "the common catch-up's message", isMessage("1002", "in the common catch-up"))
	// Once a message after the gap came, the common catch-up is over:
	// the reaction is held.
	srv.Send(bob.ID, alicePeer, "after")
	h.wait(t, from, "the message after", isMessage("1002", "after"))
	id := strconv.Itoa(reacted)
	isMsg := func(ev *pb.Event) bool { return isMessage("-100600", "sent while away")(ev) && ev.EventId == id }
	got, confirm := h.holdDurable()
	release()
	deadline := time.After(20 * time.Second)
	for seen := false; !seen; {
		select {
		case ev := <-got:
			seen = isMsg(ev)
		case <-deadline:
			confirm(nil)
			t.Fatal("no message of the channel's gap")
		}
	}
	// The channel's message kept, the reaction's event fails.
	failed := h.failDurable(errors.New("sdk: plugin shutting down"))
	confirm(nil)
	select {
	case <-failed:
	case <-time.After(20 * time.Second):
		t.Fatal("the held reaction was not handed over")
	}
	h.failDurable(nil)
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}

	from = h.count()
	connect(t, n, h, info)
	h.wait(t, from, "the reaction not kept, again", isReactionTo("-100600", id, "👍"))
}

// awayChannelReaction connects Alice, a member of supergroup 600, and
// disconnects her; while she is away Bob sends a message there
// (reacted), reacts to it with 👍, and sends her a message in their
// private chat ("in the common catch-up").
func awayChannelReaction(t *testing.T) (srv *tgfake.Server, h *testHost, info sdk.LoginInfo, n *Network, reacted int) {
	t.Helper()
	srv = newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 600, Title: "Big", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	s, h, info, n := connectAlice(t, srv)
	alicePeer := &tg.PeerUser{UserID: alice.ID}
	big := &tg.PeerChannel{ChannelID: 600}
	from := h.count()
	srv.Send(bob.ID, big, "before in big")
	h.wait(t, from, "the message before", isMessage("-100600", "before in big"))
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	reacted = srv.Send(bob.ID, big, "sent while away")
	srv.ReactChannel(bob.ID, 600, reacted, "👍")
	srv.Send(bob.ID, alicePeer, "in the common catch-up")
	return srv, h, info, n, reacted
}

// A common catch-up's reaction to a supergroup's message still held for
// the channel's catch-up when the connection ends comes at the next
// connection, after its message: the stored state's date goes back to
// before the catch-up, whose next one gives it again. Before, the
// common catch-up's state was saved when the reaction was held, and the
// ended session handed it over at its timer, 30 s after, into a gateway
// it had said goodbye to.
func TestGapHeldReactionsAtEnd(t *testing.T) {
	srv, h, info, n, reacted := awayChannelReaction(t)
	alicePeer := &tg.PeerUser{UserID: alice.ID}
	waitNextSecond(t) // the catch-up's date past the reaction's

	release := srv.HoldAnswers("updates.getChannelDifference")
	t.Cleanup(release)
	from := h.count()
	s := connect(t, n, h, info)
	h.wait(t, from, "the common catch-up's message", isMessage("1002", "in the common catch-up"))
	// Once a message after the gap came, the common catch-up is over:
	// the reaction is held.
	srv.Send(bob.ID, alicePeer, "after")
	h.wait(t, from, "the message after", isMessage("1002", "after"))
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	release()

	from = h.count()
	connect(t, n, h, info)
	id := strconv.Itoa(reacted)
	isMsg := func(ev *pb.Event) bool { return isMessage("-100600", "sent while away")(ev) && ev.EventId == id }
	isReaction := isReactionTo("-100600", id, "👍")
	h.wait(t, from, "the message of the channel's gap", isMsg)
	h.wait(t, from, "the reaction held at the end, again", isReaction)
	msg := eventIndexes(h, from, isMsg)[0]
	for _, i := range eventIndexes(h, from, isReaction) {
		if i < msg {
			t.Errorf("the reaction came before its message (events %d, %d)", i, msg)
		}
	}
}
