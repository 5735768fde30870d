package irc

import (
	"context"
	"testing"
	"time"
)

// Each target the user is composing to has one repeat timer, and none
// is left once typing ends: by paused, done, a message (typingEnded),
// Disconnect (and Logout), or a repeat that finds no connection.
func TestTypingRepeatsEnd(t *testing.T) {
	s := newSession(&Network{cfg: Config{TypingRepeat: Duration(time.Hour), TypingTimeout: Duration(time.Hour)}}, "kit@irc.test:6667", Account{})
	now := time.Now()
	repeats := func(want int, after string) {
		t.Helper()
		if n := s.typingRepeats(); n != want {
			t.Errorf("after %s: %d targets with repeats; want %d", after, n, want)
		}
	}
	if !s.noteTyping("dave", "active", now) {
		t.Error("the first active is not sent")
	}
	s.noteTyping("Dave", "active", now.Add(time.Second)) // the same target: not a second timer
	s.noteTyping("#chan", "active", now)
	repeats(2, "composing to dave and #chan")
	s.noteTyping("dave", "paused", now)
	repeats(1, "paused to dave")
	s.noteTyping("dave", "active", now)
	s.noteTyping("dave", "done", now)
	repeats(1, "done to dave")
	s.typingEnded("#CHAN")
	repeats(0, "a message to #chan")
	s.noteTyping("dave", "active", now)
	s.noteTyping("#chan", "active", now)
	if err := s.Disconnect(context.Background()); err != nil {
		t.Fatal(err)
	}
	repeats(0, "Disconnect")

	// A repeat with no connection to send on ends.
	s.n.cfg.TypingRepeat = Duration(time.Millisecond)
	s.noteTyping("erin", "active", time.Now().Add(-time.Hour))
	deadline := time.Now().Add(30 * time.Second)
	for s.typingRepeats() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	repeats(0, "a repeat without a connection")
}
