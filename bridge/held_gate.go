package bridge

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"passerelle.im/passerelle/store"
)

// A chat's messages recorded by an earlier process (held.go) go to the
// plugin before what the user sends in that chat now: a live message of
// such a chat waits until the start's replay has handed the chat's
// records to the plugin, at most replayGateWait (the replay of a room's
// waits for the login's rooms). Without it a message the user sent after
// the restart reached the network before one sent before it (TestChaos).

// replayGateWait bounds a live message's wait for its chat's replay.
const replayGateWait = 30 * time.Second

// replayGate is the records of earlier processes, read once, and per
// chat (chatKey) a channel closed once the replay handed over its last.
type replayGate struct {
	once    sync.Once
	hs      []store.HeldMessage
	err     error
	pending atomic.Int32 // len(open): a live message skips the lock at 0
	mu      sync.Mutex
	left    map[string]int
	open    map[string]chan struct{}
}

// earlierRecords reads, once per process, the records earlier processes
// left (held_queue.go: earlierHeld), and closes their chats until the
// replay has handed them over.
func (t *transport) earlierRecords() ([]store.HeldMessage, error) {
	g := &t.gate
	g.once.Do(func() {
		g.hs, g.err = t.earlierHeld()
		g.mu.Lock()
		defer g.mu.Unlock()
		g.left, g.open = map[string]int{}, map[string]chan struct{}{}
		for _, h := range g.hs {
			k := chatKey(h.LoginID, h.ChatID)
			if g.left[k] == 0 {
				g.open[k] = make(chan struct{})
			}
			g.left[k]++
		}
		g.pending.Store(int32(len(g.open)))
	})
	return g.hs, g.err
}

// replayedOne: the replay handed h to the plugin, or dropped it.
func (t *transport) replayedOne(h store.HeldMessage) {
	g := &t.gate
	g.mu.Lock()
	defer g.mu.Unlock()
	k := chatKey(h.LoginID, h.ChatID)
	if ch := g.open[k]; ch != nil {
		if g.left[k]--; g.left[k] <= 0 {
			g.openLocked(k, ch)
		}
	}
}

// replayedAll: the replay is over; every chat is open.
func (t *transport) replayedAll() {
	g := &t.gate
	g.mu.Lock()
	defer g.mu.Unlock()
	for k, ch := range g.open {
		g.openLocked(k, ch)
	}
}

func (g *replayGate) openLocked(k string, ch chan struct{}) {
	close(ch)
	delete(g.open, k)
	delete(g.left, k)
	g.pending.Add(-1)
}

// waitReplayed waits until the chat's records left by an earlier process
// went to the plugin, or for replayGateWait. The replay itself does not.
func (t *transport) waitReplayed(ctx context.Context, loginID, chatID string) {
	if replaying(ctx) {
		return
	}
	t.earlierRecords()
	g := &t.gate
	if g.pending.Load() == 0 {
		return
	}
	g.mu.Lock()
	ch := g.open[chatKey(loginID, chatID)]
	g.mu.Unlock()
	if ch == nil {
		return
	}
	timer := time.NewTimer(replayGateWait)
	defer timer.Stop()
	select {
	case <-ch:
	case <-timer.C:
		t.log.Warn("a message goes before those of its chat that waited when the gateway stopped: their replay is late", "login", loginID)
	case <-ctx.Done():
	}
}
