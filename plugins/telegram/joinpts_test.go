package telegram

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/telegram"
	"github.com/gotd/td/telegram/updates"
	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// joinAnswer is JoinChat's result, run in the background.
type joinAnswer struct {
	chat string
	err  error
}

// joinInBackground asks s to join the public group name, with the fake
// Telegram acting on channels.joinChannel (its welcome pushed) but
// holding its answer until release.
func joinInBackground(t *testing.T, srv *tgfake.Server, s *Session, name string) (answer <-chan joinAnswer, release func()) {
	t.Helper()
	pushed, release := srv.UpdateBeforeAnswer("channels.joinChannel")
	t.Cleanup(release)
	done := make(chan joinAnswer, 1)
	go func() {
		chat, err := s.JoinChat(ctxT(t), sdk.Call{ChatID: name}, &pb.JoinChat{})
		done <- joinAnswer{chat, err}
	}()
	select {
	case <-pushed:
	case <-time.After(20 * time.Second):
		t.Fatal("no channels.joinChannel in 20 s")
	}
	return done, release
}

// The welcome a group posts right after a join reaches the plugin
// before the join's answer, which brings the service message (the
// room): the welcome is the first update of a channel the manager does
// not follow. Had it reached the manager, it would follow the channel
// from the welcome and drop the join's service message as seen: no
// room. It waits for the answer's pts instead; then the join's update
// goes on first, the welcome after, and the manager needs no request
// but the channel's first getChannelDifference (it subscribes with it).
func TestJoinWelcomeBeforeAnswer(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 760, Title: "Welcomers", Username: "welcomers", Members: []int64{bob.ID}, Creator: bob.ID, Welcome: "welcome aboard"})
	s, h, _, _ := connectAlice(t, srv)
	held := heldUpdates(s)
	const chat = "-100760"
	diffs := srv.Requests("updates.getChannelDifference")
	from := h.count()
	answer, release := joinInBackground(t, srv, s, "welcomers")

	// The welcome is on its way: wait until the plugin has it, held
	// (or, without the gate, shown) before Telegram answers.
	welcomed := func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, ev := range h.events[from:] {
			if isMessage(chat, "welcome aboard")(ev) {
				return true
			}
		}
		return false
	}
	deadline := time.After(20 * time.Second)
wait:
	for {
		h.mu.Lock()
		changed := h.changed
		h.mu.Unlock()
		if welcomed() {
			break
		}
		select {
		case <-held:
			break wait
		case <-changed:
		case <-deadline:
			t.Fatal("the welcome did not reach the plugin in 20 s")
		}
	}
	release()
	a := <-answer
	if a.err != nil || a.chat != chat {
		t.Fatalf("join: %q, %v; want %s", a.chat, a.err, chat)
	}
	h.wait(t, from, "room of the joined group", func(ev *pb.Event) bool { return ev.ChatId == chat && ev.GetChat() != nil })
	h.wait(t, from, "the welcome", isMessage(chat, "welcome aboard"))
	// The manager has taken both; a message after them says it has
	// handled all it was given.
	srv.Send(bob.ID, &tg.PeerChannel{ChannelID: 760}, "after the welcome")
	h.wait(t, from, "bob's message after the welcome", isMessage(chat, "after the welcome"))
	if n := srv.Requests("updates.getChannelDifference") - diffs; n != 1 {
		t.Errorf("%d getChannelDifference for the join; want 1 (the manager's subscription, no gap to recover)", n)
	}
}

// The session stops while a join is asked and updates of the group are
// held (more than gotd's manager queues, 10): the join fails at once,
// and the held updates, whose manager stopped, are dropped with a line
// in the log, not handed to the stopped manager (which queued 10 and
// blocked on the 11th for DialTimeout, the join's answer with it).
func TestJoinHeldUpdatesSessionStops(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 770, Title: "Busy", Username: "busyclub", Members: []int64{bob.ID}, Creator: bob.ID, Welcome: "welcome"})
	s, h, _, _ := connectAlice(t, srv)
	held := heldUpdates(s)
	answer, _ := joinInBackground(t, srv, s, "busyclub")
	const posts = 12
	for i := range posts {
		srv.Send(bob.ID, &tg.PeerChannel{ChannelID: 770}, fmt.Sprintf("post %d", i))
	}
	for i := range posts + 1 { // the welcome too
		select {
		case <-held:
		case <-time.After(20 * time.Second):
			t.Fatalf("%d updates held in 20 s; want %d", i, posts+1)
		}
	}
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	// Well before DialTimeout (30 s), the bound of the hand-over before.
	select {
	case a := <-answer:
		if a.err == nil {
			t.Errorf("join answered %q after the session stopped; want an error", a.chat)
		}
	case <-time.After(DialTimeout / 2):
		t.Fatalf("no answer to the join %s after the session stopped", DialTimeout/2)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "held during a join dropped") {
		t.Errorf("the held updates' drop not logged: %s", logs)
	}
}

// heldUpdates makes s's join gate tell each update it holds on the
// channel it returns.
func heldUpdates(s *Session) <-chan tg.UpdatesClass {
	held := make(chan tg.UpdatesClass, 64)
	s.joins.mu.Lock()
	s.joins.onHold = func(u tg.UpdatesClass) { held <- u }
	s.joins.mu.Unlock()
	return held
}

// waitHeld waits for the gate to hold a post of text (heldUpdates).
func waitHeld(t *testing.T, held <-chan tg.UpdatesClass, text string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case u := <-held:
			for _, x := range updateList(u) {
				if n, ok := x.(*tg.UpdateNewChannelMessage); ok {
					if m, ok := n.Message.(*tg.Message); ok && m.Message == text {
						return
					}
				}
			}
		case <-deadline:
			t.Fatalf("%q not held in 20 s", text)
		}
	}
}

// A join holds only the updates of the channel it joins. While one join
// is under way (its answer held at Telegram, its welcome held by the
// gate): a group the user was added to meanwhile posts, and a second
// join by name is asked and answered; the post and the second group's
// room and welcome come at once, not after the first join's answer. The
// first group's room and welcome come once it is answered. (The second
// join's welcome alone cannot show the gate's fault: the manager's first
// getChannelDifference of a channel just joined brings it too.)
func TestJoinHoldsOnlyItsChannel(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 780, Title: "Slow", Username: "slowclub", Members: []int64{bob.ID}, Creator: bob.ID, Welcome: "welcome, slowly"})
	srv.AddChannel(tgfake.Channel{ID: 781, Title: "Quick", Username: "quickclub", Members: []int64{bob.ID}, Creator: bob.ID, Welcome: "welcome, quickly"})
	s, h, _, _ := connectAlice(t, srv)
	held := heldUpdates(s)
	from := h.count()
	slowAnswer, slowRelease := joinInBackground(t, srv, s, "slowclub")
	waitHeld(t, held, "welcome, slowly")

	// Added by bob to a group the session does not follow yet: its
	// first post is an update of a channel not followed.
	srv.AddChannel(tgfake.Channel{ID: 782, Title: "Added", Members: []int64{bob.ID, alice.ID}, Creator: bob.ID})
	srv.Send(bob.ID, &tg.PeerChannel{ChannelID: 782}, "you are in")
	h.wait(t, from, "the post of a group not joined while the slow join is under way", isMessage("-100782", "you are in"))

	quickAnswer, quickRelease := joinInBackground(t, srv, s, "quickclub")
	waitHeld(t, held, "welcome, quickly")
	quickRelease()
	if a := <-quickAnswer; a.err != nil || a.chat != "-100781" {
		t.Fatalf("quick join: %q, %v; want -100781", a.chat, a.err)
	}
	h.wait(t, from, "room of the quick group", func(ev *pb.Event) bool { return ev.ChatId == "-100781" && ev.GetChat() != nil })
	h.wait(t, from, "the quick welcome while the slow join is under way", isMessage("-100781", "welcome, quickly"))
	h.mu.Lock()
	for _, ev := range h.events[from:] {
		if ev.ChatId == "-100780" {
			t.Errorf("the slow group's %v came before its join's answer", ev)
		}
	}
	h.mu.Unlock()

	slowRelease()
	if a := <-slowAnswer; a.err != nil || a.chat != "-100780" {
		t.Fatalf("slow join: %q, %v; want -100780", a.chat, a.err)
	}
	h.wait(t, from, "room of the slow group", func(ev *pb.Event) bool { return ev.ChatId == "-100780" && ev.GetChat() != nil })
	h.wait(t, from, "the slow welcome", isMessage("-100780", "welcome, slowly"))
}

// channelPost is an update of a post of text in channel ch, at pts.
func channelPost(ch int64, pts int, text string) tg.UpdatesClass {
	return &tg.UpdateShort{Update: &tg.UpdateNewChannelMessage{
		Message:  &tg.Message{ID: pts, PeerID: &tg.PeerChannel{ChannelID: ch}, Message: text},
		Pts:      pts,
		PtsCount: 1,
	}}
}

// postText is the text of u's first new channel post.
func postText(u tg.UpdatesClass) string {
	for _, x := range updateList(u) {
		if n, ok := x.(*tg.UpdateNewChannelMessage); ok {
			if m, ok := n.Message.(*tg.Message); ok {
				return m.Message
			}
		}
	}
	return ""
}

// A channel's update that comes while the updates held for its join go
// on to the manager waits behind them, not beside them: the manager is
// slow to take the first held one (its queue full, say), and the
// channel's next post, pushed meanwhile, must not reach it first.
func TestJoinHeldGoOnBeforeLater(t *testing.T) {
	srv := newFake(t)
	s, _, _, _ := connectAlice(t, srv)
	held := heldUpdates(s)
	// A manager not run hands each update to its handler at once, in
	// the caller's goroutine: it stands for the running one, slow.
	handed := make(chan string, 4)
	letGo := make(chan struct{})
	mgr := updates.New(updates.Config{Handler: telegram.UpdateHandlerFunc(func(_ context.Context, u tg.UpdatesClass) error {
		handed <- postText(u)
		if postText(u) == "first" {
			<-letGo
		}
		return nil
	})})
	s.mu.Lock()
	s.runMgr, s.runCtx = mgr, ctxT(t)
	s.mu.Unlock()
	g := gatedHandler{s: s, mgr: mgr}
	ctx := ctxT(t)

	done := s.joinAsked(790) // a channel not followed
	if err := g.Handle(ctx, channelPost(790, 2, "first")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held:
	default:
		t.Fatal("the post of the channel joined not held")
	}
	ended := make(chan struct{})
	go func() {
		done()
		close(ended)
	}()
	select {
	case text := <-handed:
		if text != "first" {
			t.Fatalf("%q handed first; want the held post", text)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the held post not handed on in 20 s after the join ended")
	}
	// The held post is still with the manager: the next one waits.
	if err := g.Handle(ctx, channelPost(790, 3, "second")); err != nil {
		t.Fatal(err)
	}
	select {
	case text := <-handed:
		t.Fatalf("%q handed while the held post before it still goes on", text)
	case <-held:
	default:
		t.Fatal("the next post neither held nor handed")
	}
	close(letGo)
	select {
	case text := <-handed:
		if text != "second" {
			t.Fatalf("%q handed; want the next post", text)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the next post not handed on in 20 s")
	}
	<-ended
	// The gate is open again: a third post goes straight on.
	if err := g.Handle(ctx, channelPost(790, 4, "third")); err != nil {
		t.Fatal(err)
	}
	select {
	case text := <-handed:
		if text != "third" {
			t.Fatalf("%q handed; want the third post", text)
		}
	default:
		t.Fatal("the third post held after the join's updates went on")
	}
}
