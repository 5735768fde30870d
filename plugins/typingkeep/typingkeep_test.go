package typingkeep

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// waitFor polls cond until it holds, or fails after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s", what)
		}
	}
}

// A chat's typing is said again while the user composes, and not once
// Stop returned; the other chat's goes on until StopAll.
func TestRepeatsUntilStopped(t *testing.T) {
	var mu sync.Mutex
	said := map[string]int{}
	count := func(chat string) int { mu.Lock(); defer mu.Unlock(); return said[chat] }
	k := New(time.Millisecond, time.Hour, func(_ context.Context, chat string) error {
		mu.Lock()
		defer mu.Unlock()
		said[chat]++
		return nil
	})
	k.Composing("a")
	k.Composing("b")
	k.Composing("a") // the same chat: one timer
	waitFor(t, "repeats to a and b", func() bool { return count("a") >= 2 && count("b") >= 2 })
	k.Stop("a")
	n := count("a")
	if k.Repeating() != 1 {
		t.Errorf("%d chats repeating after Stop; want 1", k.Repeating())
	}
	k.StopAll()
	if k.Repeating() != 0 {
		t.Errorf("%d chats repeating after StopAll; want 0", k.Repeating())
	}
	if count("a") != n {
		t.Errorf("a repeat after Stop returned")
	}
}

// The repeats end by themselves Max after the last composing, and at
// the first failed repeat.
func TestRepeatsEnd(t *testing.T) {
	k := New(time.Millisecond, 20*time.Millisecond, func(context.Context, string) error { return nil })
	k.Composing("a")
	waitFor(t, "end after Max", func() bool { return k.Repeating() == 0 })

	k = New(time.Millisecond, time.Hour, func(context.Context, string) error { return errors.New("gone") })
	k.Composing("a")
	waitFor(t, "end after a failed repeat", func() bool { return k.Repeating() == 0 })
}
