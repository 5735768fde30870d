package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
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
	c.caughtUp(c.generation(), cooking, 101)

	real := seenSaver.get()
	entered, release := make(chan struct{}), make(chan struct{})
	setFor(t, seenSaver, func(path string, v any) error {
		// This test's write alone: an earlier test's session, still
		// catching up its channels, saves through the same setting (it
		// would close entered twice, or wait on release).
		if strings.HasPrefix(path, dir+string(filepath.Separator)) {
			close(entered)
			<-release
		}
		return real(path, v)
	})
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

// A catch-up still running when its connection ends (WhatsApp's answer
// came just before the drop) neither marks its channel caught up on the
// next connection, whose live posts would then move the newest post
// shown past those made between the two (never asked again), nor ends
// the wait of the next connection's live posts; the next connection's
// catch-up runs once it ends. Before, the stale catch-up's caughtUp and
// release counted for the next connection, whose own catch-up was
// skipped while it ran.
func TestChannelCatchUpOfAnEndedConnection(t *testing.T) {
	c := newChannelSeen(t.TempDir(), slog.New(slog.DiscardHandler))
	cooking := types.NewJID("120363100000000075", types.NewsletterServer)
	live := func(id types.MessageServerID) *events.Message {
		return &events.Message{Info: types.MessageInfo{MessageSource: types.MessageSource{Chat: cooking, Sender: cooking}, ServerID: id}}
	}
	c.connecting()
	c.caughtUp(c.generation(), cooking, 100)

	c.connecting() // a reconnection
	first, ok := c.begin()
	if !ok {
		t.Fatal("no catch-up began")
	}
	c.connecting() // dropped again while it runs
	if _, ok := c.begin(); ok {
		t.Fatal("a second catch-up began while one runs")
	}
	c.caughtUp(first, cooking, 105) // what it read before the drop
	if !c.hold(live(106)) {
		t.Error("a live post of the new connection not held for its catch-up once the old one's read came")
	}
	if out := c.release(first, nil); len(out) != 0 {
		t.Errorf("the old catch-up released the new connection's live posts: %d", len(out))
	}
	c.shown(cooking, 107)
	if last, _ := c.lastOf(cooking); last != 105 {
		t.Errorf("the newest post shown %d, want 105: the new connection is not caught up yet", last)
	}
	second, again := c.end()
	if !again || second == first {
		t.Fatalf("the new connection's catch-up does not run after the old one: again %v, gen %d then %d", again, first, second)
	}
	c.caughtUp(second, cooking, 110)
	if out := c.release(second, nil); len(out) != 1 || out[0].Info.ServerID != 106 {
		t.Errorf("the new connection's catch-up released %v, want the live post 106", out)
	}
	c.shown(cooking, 111)
	if last, _ := c.lastOf(cooking); last != 111 {
		t.Errorf("the newest post shown %d, want 111", last)
	}
	if _, again := c.end(); again {
		t.Error("a catch-up runs again with no connection meanwhile")
	}
}

// A post of a channel's catch-up that the gateway does not take (gone,
// or the plugin stopped before it confirmed it) leaves the channel
// shown up to the post before it: the next connection shows that post
// and those after. Before, the channel was marked caught up past it all
// the same, the error ignored, and the post was never shown.
func TestChannelCatchUpPostNotTaken(t *testing.T) {
	dir := t.TempDir()
	done := newRig(t, "").loginQR(t, dir)
	r := newRig(t, "") // the plugin anew on that folder: its connection's catch-up
	cooking := types.NewJID("120363100000000077", types.NewsletterServer)
	if err := os.WriteFile(filepath.Join(dir, channelsSeenFile), []byte(`{"`+cooking.String()+`":100}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := r.n.LoadLogin(context.Background(), sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	all := r.made.All()
	fake := all[len(all)-1]
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	var posts []wafake.Post
	for id := 100; id <= 103; id++ {
		posts = append(posts, wafake.TextPost(id, types.MessageID(fmt.Sprintf("NLC%d", id)), at.Add(time.Duration(id)*time.Second), fmt.Sprintf("post %d", id)))
	}
	fake.SetChannel(wafake.Channel{JID: cooking, Name: "Cooking", Posts: posts})
	refused := make(chan struct{})
	var once sync.Once
	r.host.mu.Lock()
	r.host.durable = func(ev *pb.Event) error {
		if ev.EventId == "NLC102" {
			once.Do(func() { close(refused) })
			return errors.New("the gateway went away")
		}
		return nil
	}
	r.host.mu.Unlock()
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Disconnect(context.Background()) })
	select {
	case <-refused:
	case <-time.After(eventWait):
		t.Fatal("the catch-up's post 102 not emitted")
	}
	catchUpEnded(t, s)
	if last, _ := s.seen.lastOf(cooking); last != 101 {
		t.Errorf("the channel shown up to %d after post 102 was not taken, want 101", last)
	}
	if last, _ := newChannelSeen(dir, slog.New(slog.DiscardHandler)).lastOf(cooking); last != 101 {
		t.Errorf("the channel kept shown up to %d, want 101", last)
	}

	// The gateway takes posts again; the next connection shows 102 on.
	r.host.mu.Lock()
	r.host.durable = nil
	r.host.mu.Unlock()
	from := r.host.count()
	fake.Emit(&events.Disconnected{})
	fake.Emit(&events.Connected{})
	_, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "NLC102" })
	r.host.next(t, i, func(ev *pb.Event) bool { return ev.EventId == "NLC103" })
	catchUpEnded(t, s)
	if last, _ := s.seen.lastOf(cooking); last != 103 {
		t.Errorf("the channel shown up to %d once caught up, want 103", last)
	}
}

// catchUpEnded waits until no catch-up of s runs.
func catchUpEnded(t *testing.T, s *Session) {
	t.Helper()
	for deadline := time.Now().Add(eventWait); ; time.Sleep(10 * time.Millisecond) {
		s.seen.mu.Lock()
		running := s.seen.running
		s.seen.mu.Unlock()
		if !running {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the channels' catch-up still runs after 30 s")
		}
	}
}
