package telegram

import (
	"context"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/sdk"
)

// mine is a message the user sent to user to, as an update brings it.
func mine(id int, to int64, text string) *tg.Message {
	return &tg.Message{ID: id, Out: true, PeerID: &tg.PeerUser{UserID: to}, Date: 1700000000, Message: text}
}

// held runs messageEvents of m in the background: its events once it
// returns.
func held(s *Session, m *tg.Message) <-chan int {
	out := make(chan int, 1)
	go func() { out <- len(s.messageEvents(context.Background(), m, false)) }()
	return out
}

// restarted is a session after a restart with the notes of sends kept
// before it, its updates manager started.
func restarted(t *testing.T, notes map[int64]sendNote) *Session {
	t.Helper()
	s, _ := unitSession(t)
	for rid, n := range notes {
		if err := s.st.putSendNote(rid, n); err != nil {
			t.Fatal(err)
		}
	}
	s.loadSendNotes(s.st)
	s.hold.begin()
	return s
}

func setHoldFor(t *testing.T, d time.Duration) {
	old := HoldFor
	HoldFor = d
	t.Cleanup(func() { HoldFor = old })
}

// After a restart: the user's message a send answered before the restart
// is the gateway's; one in a chat without a send in flight comes at once;
// one in a chat whose send had no answer waits for the resend's answer,
// which names another message (the user sent it from another app): it
// comes then, and the resend's own message does not.
func TestSendHoldAnswered(t *testing.T) {
	setHoldFor(t, time.Minute)
	now := time.Now().Unix()
	s := restarted(t, map[int64]sendNote{77: {Chat: "1002", At: now}, 78: {Chat: "1003", ID: 40, At: now}})
	ctx := context.Background()
	if evs := s.messageEvents(ctx, mine(40, 1003, "answered before"), false); len(evs) != 0 {
		t.Errorf("a message whose send was answered before the restart: %v", evs)
	}
	if evs := s.messageEvents(ctx, mine(41, 1004, "elsewhere"), false); len(evs) != 1 {
		t.Errorf("a message in a chat without a send in flight: %v, want it", evs)
	}
	other := held(s, mine(42, 1002, "from my phone"))
	select {
	case n := <-other:
		t.Fatalf("a message in the chat of a send in flight came (%d events) before the resend answered", n)
	case <-time.After(100 * time.Millisecond):
	}
	// The resend answers, as sentResult does.
	s.sent.add("1002", 43)
	s.answerNote("1002", 77, 43)
	select {
	case n := <-other:
		if n != 1 {
			t.Errorf("the message from another app: %d events, want 1", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the message from another app still held after the resend answered")
	}
	if evs := s.messageEvents(ctx, mine(43, 1002, "resent"), false); len(evs) != 0 {
		t.Errorf("the resend's message came as one from another app: %v", evs)
	}
}

// Without a resend, a held message comes once HoldFor has passed.
func TestSendHoldTimeout(t *testing.T) {
	setHoldFor(t, 300*time.Millisecond)
	s := restarted(t, map[int64]sendNote{77: {Chat: "1002", At: time.Now().Unix()}})
	start := time.Now()
	select {
	case n := <-held(s, mine(42, 1002, "from my phone")):
		if n != 1 {
			t.Errorf("%d events, want 1", n)
		}
		if d := time.Since(start); d < 250*time.Millisecond {
			t.Errorf("released after %v, before HoldFor", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a held message not released after HoldFor")
	}
	// The hold is over: no more waiting.
	select {
	case <-held(s, mine(44, 1002, "later")):
	case <-time.After(100 * time.Millisecond):
		t.Error("a message held after the hold ended")
	}
}

// Telegram's catch-up naming the message of a send in flight
// (updateMessageID) answers it: that message is the gateway's, no wait.
func TestSendHoldMessageID(t *testing.T) {
	setHoldFor(t, time.Minute)
	s := restarted(t, map[int64]sendNote{77: {Chat: "1002", At: time.Now().Unix()}})
	ctx := context.Background()
	if evs := s.convert(ctx, &tg.UpdateMessageID{ID: 50, RandomID: 77}); len(evs) != 0 {
		t.Errorf("updateMessageID: %v", evs)
	}
	select {
	case n := <-held(s, mine(50, 1002, "sent once")):
		if n != 0 {
			t.Errorf("the send's own message: %d events, want none", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the send's own message held although Telegram named it")
	}
	notes, err := s.st.sendNotes()
	if err != nil || notes[77].ID != 50 {
		t.Errorf("the note after updateMessageID: %+v %v; want message 50", notes[77], err)
	}
}

// A send of this run whose message Telegram names (updateMessageID, as
// a getDifference may before the send's answer) is the gateway's at
// once: its message makes no event, and a message of the chat not named
// waits for the answer. The answer adds the message no second time.
func TestLiveSendMessageID(t *testing.T) {
	setHoldFor(t, time.Minute)
	s, _ := unitSession(t)
	ctx := context.Background()
	c := sdk.Call{ChatID: "1002"}
	s.noteSend(c, 99)
	s.convert(ctx, &tg.UpdateMessageID{ID: 50, RandomID: 99})
	if evs := s.messageEvents(ctx, mine(50, 1002, "mine"), false); len(evs) != 0 {
		t.Errorf("the named message of a send in flight: %v, want none", evs)
	}
	other := held(s, mine(51, 1002, "from my phone"))
	select {
	case n := <-other:
		t.Fatalf("a message in the chat of a send in flight came (%d events) before its answer", n)
	case <-time.After(100 * time.Millisecond):
	}
	if !s.live.wasNamed(99) {
		t.Fatal("the send is not named")
	}
	s.sendAnswered(c, 99, 50) // as sentResult does, which adds nothing
	select {
	case n := <-other:
		if n != 1 {
			t.Errorf("the message from another app: %d events, want 1", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the message from another app still held after the answer")
	}
	if len(s.sent.ids) != 0 {
		t.Errorf("left in the sent set: %v", s.sent.ids)
	}
}

// A send without an answer before a restart is held for once: when no
// resend answered it within HoldFor, its note goes, so the next restart
// does not hold the user's messages in its chat again (and again at
// every restart after: the note stayed for ever). A resend later notes
// it anew.
func TestSendHoldNotAgain(t *testing.T) {
	setHoldFor(t, 200*time.Millisecond)
	s := restarted(t, map[int64]sendNote{77: {Chat: "1002", At: time.Now().Unix()}})
	select {
	case <-held(s, mine(42, 1002, "from my phone")):
	case <-time.After(5 * time.Second):
		t.Fatal("a held message not released after HoldFor")
	}
	// The plugin restarts again.
	s.loadSendNotes(s.st)
	s.hold.begin()
	if _, wait := s.hold.waits("1002"); wait {
		t.Error("the send not answered before the first restart holds the chat's messages again after the second")
	}
}
