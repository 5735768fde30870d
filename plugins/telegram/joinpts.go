package telegram

import (
	"context"
	"errors"
	"sync"

	"github.com/gotd/td/telegram"
	"github.com/gotd/td/telegram/updates"
	"github.com/gotd/td/tg"
)

// A channel the user joins through the gateway is new to gotd's updates
// manager, which follows a channel from the first of its updates to
// reach it (channelpts.go). The join's service message and the next
// update (a welcome bot's, say) come back to back, each read on its own
// goroutine: the manager could get the second first, follow the channel
// from it, and drop the join (whose service message brings the room) as
// already seen (TestJoinWelcomeBeforeAnswer; in the plugin process,
// TestJoinFirstUpdatesBackToBack). So while a join is asked, the updates
// pushed for channels the manager does not follow yet wait; the join's
// answer gives the channel's pts, kept with its access hash for the
// manager to follow the channel from; the join's own updates go to the
// manager, and then the held ones.

// joinGate holds pushed updates of channels not followed while joins are
// asked, and every update pushed while the held ones go on: they reach
// the manager in the order they came.
type joinGate struct {
	mu       sync.Mutex
	joins    int
	draining bool // the last join ended: held updates going on
	held     []tg.UpdatesClass
	// onHold, for the tests, is called after an update is held.
	onHold func()
}

// gatedHandler is what the client hands pushed updates to: the manager,
// behind the session's joinGate.
type gatedHandler struct {
	s   *Session
	mgr telegram.UpdateHandler
}

// Handle passes u on, unless a join is asked and u has an update of a
// channel not followed yet, or held updates are going on.
func (g gatedHandler) Handle(ctx context.Context, u tg.UpdatesClass) error {
	if g.s.joins.hold(ctx, g.s.db, u) {
		return nil
	}
	return g.mgr.Handle(ctx, u)
}

// hold keeps u for later while held updates go on, or when a join is
// asked and u has an update of a channel the store db gives keeps no pts
// of. The store is looked up only then (most updates come with no join
// asked), and outside the lock: it takes the session's.
func (j *joinGate) hold(ctx context.Context, db func() *store, u tg.UpdatesClass) bool {
	j.mu.Lock()
	draining, joins := j.draining, j.joins
	j.mu.Unlock()
	newChannel := false
	if !draining {
		if joins == 0 {
			return false
		}
		newChannel = unfollowed(ctx, db(), u)
	}
	j.mu.Lock()
	keep := j.draining || (j.joins > 0 && newChannel)
	if keep {
		j.held = append(j.held, u)
	}
	hook := j.onHold
	j.mu.Unlock()
	if keep && hook != nil {
		hook()
	}
	return keep
}

// unfollowed reports whether u has an update of a channel st keeps no
// pts of.
func unfollowed(ctx context.Context, st *store, u tg.UpdatesClass) bool {
	if st == nil {
		return false
	}
	for _, x := range updateList(u) {
		ch, _, _, ok, err := tg.IsChannelPtsUpdate(x)
		if !ok || err != nil {
			continue
		}
		if _, found, err := st.GetChannelPts(ctx, 0, ch); err == nil && !found {
			return true
		}
	}
	return false
}

// joinAsked shuts the gate for a join about to be asked. The caller
// defers the func it returns, which opens the gate once the join's own
// updates are handed to the manager (joined): then the updates held go
// on after them, with no gap to recover from. Deferred, it opens the gate
// on a panic too.
func (s *Session) joinAsked() (done func()) {
	s.joins.mu.Lock()
	s.joins.joins++
	s.joins.mu.Unlock()
	var once sync.Once
	return func() { once.Do(s.joinDone) }
}

// joinDone ends a join; the last one hands the held updates on, holding
// those that come meanwhile until none is left.
func (s *Session) joinDone() {
	j := &s.joins
	j.mu.Lock()
	if j.joins > 1 {
		j.joins--
		j.mu.Unlock()
		return
	}
	j.draining = true
	for len(j.held) > 0 {
		held := j.held
		j.held = nil
		j.mu.Unlock()
		s.release(held)
		j.mu.Lock()
	}
	j.draining = false
	j.joins--
	j.mu.Unlock()
}

// release hands held to the session's running updates manager: the one
// they came for may have stopped (a disconnection during the join), and
// one stopped queues 10 updates it never reads, then blocks. With none
// running they are dropped, with a line in the log.
func (s *Session) release(held []tg.UpdatesClass) {
	s.mu.Lock()
	mgr, ctx := s.runMgr, s.runCtx
	s.mu.Unlock()
	for i, u := range held {
		var err error
		if mgr == nil {
			err = errors.New("the updates manager is not running")
		} else {
			err = mgr.Handle(ctx, u) // fails only once the manager stopped
		}
		if err != nil {
			s.n.log().Info("telegram: updates held during a join dropped, the updates manager stopped (the next connection catches up; a channel not followed yet has them in its history)", "login", s.login.LoginID, "updates", len(held)-i, "err", err)
			return
		}
	}
}

// managerRuns notes mgr running, with its run's context, for the
// connection gen.
func (s *Session) managerRuns(ctx context.Context, gen int, mgr *updates.Manager) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen == gen {
		s.runMgr, s.runCtx = mgr, ctx
	}
}

// managerStops notes mgr stopped.
func (s *Session) managerStops(mgr *updates.Manager) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runMgr == mgr {
		s.runMgr, s.runCtx = nil, nil
	}
}

// seedJoined keeps, from upd, a join's answer, the pts and access hash
// of each channel it brings that is not followed yet, for the manager
// to follow it from; before upd goes to the manager. The caller has
// shut the gate (joinAsked).
func (s *Session) seedJoined(ctx context.Context, upd tg.UpdatesClass) {
	if st := s.db(); st != nil {
		s.seedFrom(ctx, st, upd)
	}
}

// seedFrom keeps, for each channel upd brings that is not followed yet,
// its pts before upd's first update of it and its access hash.
func (s *Session) seedFrom(ctx context.Context, st *store, upd tg.UpdatesClass) {
	var chats []tg.ChatClass
	switch u := upd.(type) {
	case *tg.Updates:
		chats = u.Chats
	case *tg.UpdatesCombined:
		chats = u.Chats
	}
	hashes := channelHashes(chats)
	before := map[int64]int{}
	for _, x := range updateList(upd) {
		ch, pts, count, ok, err := tg.IsChannelPtsUpdate(x)
		if !ok || err != nil {
			continue
		}
		if p, seen := before[ch]; !seen || pts-count < p {
			before[ch] = pts - count
		}
	}
	for ch, pts := range before {
		if hash, ok := hashes[ch]; ok {
			s.seedChannel(ctx, st, ch, hash, pts)
		}
	}
}
