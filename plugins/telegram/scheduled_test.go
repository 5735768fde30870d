package telegram

import (
	"strconv"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Scheduled messages on the fake Telegram: the user's own, scheduled
// from another app (updateNewScheduledMessage), shows nothing until it
// goes; at its time it is the user's message once, its scheduled copy's
// removal (updateDeleteScheduledMessages) retracting nothing; a
// contact's scheduled message comes once when it goes.
func TestScheduledMessages(t *testing.T) {
	srv := newFake(t)
	_, h, _, _ := connectAlice(t, srv)
	const later = "Tomorrow's news"
	isText := func(text string) func(*pb.Event) bool {
		return func(ev *pb.Event) bool { return ev.GetMessage().GetText() == text }
	}
	// marker is a message from bob, awaited: the updates before it are in.
	marker := func(text string) {
		t.Helper()
		from := h.count()
		srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, text)
		h.wait(t, from, text, isText(text))
	}
	// typedAfter runs f with bob's typing pushed in the same container
	// after what f pushes, and waits for the typing: gotd hands a
	// container's updates without pts to the plugin in one call, in
	// order, after those with pts, so what f pushed is handled by then.
	typedAfter := func(f func()) {
		t.Helper()
		from := h.count()
		srv.Batch(alice.ID, func() {
			f()
			srv.TypingTo(bob.ID, alice.ID)
		})
		h.wait(t, from, "bob typing after", func(ev *pb.Event) bool { return ev.ChatId == "1002" && ev.GetTyping() != nil })
	}
	from := h.count()
	typedAfter(func() { srv.Schedule(alice.ID, bob.ID, 3, int(time.Now().Add(24*time.Hour).Unix()), later) })
	marker("first")
	if n := countOf(h, from, isText(later)); n != 0 {
		t.Fatalf("the scheduled message came %d times before it went, want none", n)
	}

	var gid int
	typedAfter(func() { gid = srv.SendScheduled(alice.ID, bob.ID, 3, later) }) // its removal too
	ev := h.wait(t, from, "the scheduled message sent", isText(later))
	if ev.ChatId != "1002" || !ev.Sender.GetIsFromMe() || ev.EventId != strconv.Itoa(srv.ID(gid, alice.ID)) {
		t.Errorf("sent: %v, want the user's own message %d in 1002", ev, srv.ID(gid, alice.ID))
	}
	srv.SendScheduled(bob.ID, alice.ID, 5, "From bob, scheduled")
	h.wait(t, from, "bob's scheduled message", isText("From bob, scheduled"))
	marker("second")
	if n := countOf(h, from, isText(later)); n != 1 {
		t.Errorf("the scheduled message came %d times, want once", n)
	}
	if n := countOf(h, from, isText("From bob, scheduled")); n != 1 {
		t.Errorf("bob's scheduled message came %d times, want once", n)
	}
	if n := countOf(h, from, func(ev *pb.Event) bool { return ev.GetRetraction() != nil }); n != 0 {
		t.Errorf("%d retractions, want none", n)
	}
}
