package whatsapp

import (
	"log/slog"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
)

// A channel's newest post shown is written to disk outside the lock a
// live post's hold takes (on whatsmeow's event loop): a live post of
// another channel is not held up by a write waiting for the disk, and
// the newest post is on disk once the write is done. Before, the write
// (two fsyncs) was made under that lock.
func TestChannelSeenWrittenOutsideTheLock(t *testing.T) {
	dir := t.TempDir()
	c := newChannelSeen(dir, slog.New(slog.DiscardHandler))
	cooking := types.NewJID("120363100000000075", types.NewsletterServer)
	garden := types.NewJID("120363100000000076", types.NewsletterServer)
	c.connecting()
	c.caughtUp(cooking, 101)

	real := saveSeen
	entered, release := make(chan struct{}), make(chan struct{})
	saveSeen = func(path string, v any) error {
		close(entered)
		<-release
		return real(path, v)
	}
	t.Cleanup(func() { saveSeen = real })
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		c.shown(cooking, 102)
	}()
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the newest post shown not written in 30 s")
	}
	held := make(chan bool)
	go func() {
		held <- c.hold(&events.Message{Info: types.MessageInfo{MessageSource: types.MessageSource{Chat: garden, Sender: garden}, ServerID: 7}})
	}()
	select {
	case h := <-held:
		if h {
			t.Error("a live post of a channel not waiting for a catch-up held")
		}
	case <-time.After(30 * time.Second):
		close(release)
		<-wrote
		t.Fatal("a live post's hold waited 30 s for the write of another channel's newest post")
	}
	close(release)
	<-wrote
	if id, ok := newChannelSeen(dir, slog.New(slog.DiscardHandler)).lastOf(cooking); !ok || id != 102 {
		t.Errorf("the newest post shown read back: %d (%v), want 102", id, ok)
	}
}
