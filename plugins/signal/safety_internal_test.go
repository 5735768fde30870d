package signal

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"
)

// A changed safety number is noted told in untrusted-told.json only once
// the host has the notice: a plugin killed while the notice is on its way
// starts with it untold, and its envelope, handled again, tells it. Before,
// it was noted first, and the next start found it told: never told.
func TestUntrustedNotedOnceConfirmed(t *testing.T) {
	const bob = "+15550000002"
	h := &recordingHost{hold: make(chan struct{}), entered: make(chan struct{})}
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &Session{n: &Network{host: h}, loginID: "l", dir: dir, untrusted: loadUntrusted(dir, log)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.tellUntrusted(context.Background(), bob, "Bob", time.Now().UnixMilli())
	}()
	select {
	case <-h.entered:
	case <-time.After(20 * time.Second):
		t.Fatal("the notice never went to the host")
	}
	// Killed now: the next start reads the file.
	if loadUntrusted(dir, log).Told(bob, untrustedTold) {
		t.Error("noted told on disk before the host had the notice")
	}
	// A send refused meanwhile does not tell it a second time.
	second := make(chan struct{})
	go func() {
		defer close(second)
		s.tellUntrusted(context.Background(), bob, "", time.Now().UnixMilli())
	}()
	select {
	case <-second:
	case <-h.entered:
		t.Error("a send refused while the notice was on its way told it again")
	case <-time.After(20 * time.Second):
		t.Fatal("a send refused while the notice was on its way waited for it")
	}
	close(h.hold)
	<-done
	if !loadUntrusted(dir, log).Told(bob, untrustedTold) {
		t.Fatal("not noted told once the host had the notice")
	}
	s.tellUntrusted(context.Background(), bob, "Bob", time.Now().UnixMilli())
	if n := len(h.events()); n != 1 {
		t.Fatalf("%d notices, want 1", n)
	}
}
