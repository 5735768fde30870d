package telegram

import (
	"context"
	"errors"
	"slices"
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
// pushed for the channel it joins, not followed yet, wait; the join's
// answer gives the channel's pts, kept with its access hash for the
// manager to follow the channel from; the join's own updates go to the
// manager, and then the held ones.

// joinGate holds, while joins are asked, the pushed updates of channels
// not followed that a join may be for: a join by name or by a search
// result knows its channel, and holds only that one's, as does a join by
// an invite link whose preview names it (chatInvitePeek); other links
// (chatInvite names no channel) hold every channel not followed. An update waits for the joins it may be for, never for
// another's (two joins at once: the first's welcome does not wait for
// the second's answer), and behind the held updates of its channels
// while they go on: each channel's updates reach the manager in the
// order they came.
type joinGate struct {
	mu    sync.Mutex
	asked map[*joinAsk]struct{} // the joins under way
	held  []*heldUpdate         // in the order they came
	// draining: a join ended, and held updates it freed go on; busy are
	// their channels, whose later updates are held behind them.
	draining bool
	busy     map[int64]bool
	// onHold, for the tests, is called with each update held.
	onHold func(tg.UpdatesClass)
}

// joinAsk is one join under way.
type joinAsk struct {
	channel int64 // the channel joined; 0 until the answer says (a link)
}

// heldUpdate is an update held, with its channels and the joins it still
// waits for.
type heldUpdate struct {
	u        tg.UpdatesClass
	channels []int64
	waits    map[*joinAsk]struct{}
}

// gatedHandler is what the client hands pushed updates to: the manager,
// behind the session's joinGate.
type gatedHandler struct {
	s   *Session
	mgr telegram.UpdateHandler
}

// Handle passes u on, unless it has an update of a channel not followed
// that a join asked may be for, or of a channel with updates held.
func (g gatedHandler) Handle(ctx context.Context, u tg.UpdatesClass) error {
	if g.s.joins.hold(ctx, g.s.db, u) {
		return nil
	}
	return g.mgr.Handle(ctx, u)
}

// hold keeps u for later when a join asked may be for one of its
// channels the store db gives keeps no pts of, or when updates of its
// channels are held or going on. The store is looked up only with a
// join asked (most updates come with none), and outside the lock: it
// takes the session's.
func (j *joinGate) hold(ctx context.Context, db func() *store, u tg.UpdatesClass) bool {
	chans := channelsOf(u)
	if len(chans) == 0 {
		return false
	}
	j.mu.Lock()
	idle := len(j.asked) == 0 && len(j.held) == 0 && !j.draining
	asked := len(j.asked) > 0
	j.mu.Unlock()
	if idle {
		return false
	}
	var fresh []int64
	if asked {
		fresh = unfollowed(ctx, db(), chans)
	}
	j.mu.Lock()
	waits := map[*joinAsk]struct{}{}
	for a := range j.asked {
		if (a.channel == 0 && len(fresh) > 0) || slices.Contains(fresh, a.channel) {
			waits[a] = struct{}{}
		}
	}
	behind := false
	for _, h := range j.held {
		if overlap(h.channels, chans) {
			behind = true
			for a := range h.waits {
				waits[a] = struct{}{}
			}
		}
	}
	for _, c := range chans {
		behind = behind || j.busy[c]
	}
	keep := len(waits) > 0 || behind
	if keep {
		j.held = append(j.held, &heldUpdate{u: u, channels: chans, waits: waits})
	}
	hook := j.onHold
	j.mu.Unlock()
	if keep && hook != nil {
		hook(u)
	}
	return keep
}

// channelsOf is the channels of u's updates that carry a channel pts.
func channelsOf(u tg.UpdatesClass) []int64 {
	var chans []int64
	for _, x := range updateList(u) {
		ch, _, _, ok, err := tg.IsChannelPtsUpdate(x)
		if ok && err == nil && !slices.Contains(chans, ch) {
			chans = append(chans, ch)
		}
	}
	return chans
}

func overlap(a, b []int64) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// unfollowed is those of chans st keeps no pts of.
func unfollowed(ctx context.Context, st *store, chans []int64) []int64 {
	if st == nil {
		return nil
	}
	var fresh []int64
	for _, ch := range chans {
		if _, found, err := st.GetChannelPts(ctx, 0, ch); err == nil && !found {
			fresh = append(fresh, ch)
		}
	}
	return fresh
}

// joinAsked shuts the gate for a join about to be asked of channel (0:
// not known before the answer). The caller defers the func it returns,
// which opens it once the join's own updates are handed to the manager
// (joined): then the updates held for it go on after them, with no gap
// to recover from. Deferred, it opens the gate on a panic too.
func (s *Session) joinAsked(channel int64) (done func()) {
	a := &joinAsk{channel: channel}
	j := &s.joins
	j.mu.Lock()
	if j.asked == nil {
		j.asked = map[*joinAsk]struct{}{}
	}
	j.asked[a] = struct{}{}
	j.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { s.joinDone(a) }) }
}

// joinDone ends the join a and hands on the held updates that waited
// for it alone, holding those of their channels that come meanwhile
// until none is left. With held updates going on already, their drain
// takes these on too.
func (s *Session) joinDone(a *joinAsk) {
	j := &s.joins
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.asked, a)
	for _, h := range j.held {
		delete(h.waits, a)
	}
	if j.draining {
		return
	}
	j.draining = true
	for {
		// An update's waits hold those of the updates of its channels
		// before it (hold): those free keep their channels' order.
		var free []tg.UpdatesClass
		kept := j.held[:0]
		for _, h := range j.held {
			if len(h.waits) > 0 {
				kept = append(kept, h)
				continue
			}
			free = append(free, h.u)
			if j.busy == nil {
				j.busy = map[int64]bool{}
			}
			for _, c := range h.channels {
				j.busy[c] = true
			}
		}
		clear(j.held[len(kept):])
		j.held = kept
		if len(free) == 0 {
			break
		}
		j.mu.Unlock()
		s.release(free)
		j.mu.Lock()
	}
	j.draining, j.busy = false, nil
}

// errStopped says why updates were dropped: no updates manager runs.
var errStopped = errors.New("the updates manager is not running")

// release hands held to the session's running updates manager
// (toManager; the one they came for may have stopped: a disconnection
// during the join). With none running they are dropped, with a line in
// the log.
func (s *Session) release(held []tg.UpdatesClass) {
	for i, u := range held {
		if err := s.toManager(u); err != nil {
			s.n.log().Info("telegram: updates held during a join dropped, the updates manager stopped (the next connection catches up; a channel not followed yet has them in its history)", "login", s.login.LoginID, "updates", len(held)-i, "err", err)
			return
		}
	}
}

// toManager hands u to the session's updates manager running now, not
// the one of the connection u came by or of a command's start: that one
// may have stopped, and one stopped queues 10 updates it never reads,
// then blocks. errStopped when none runs.
func (s *Session) toManager(u tg.UpdatesClass) error {
	s.mu.Lock()
	mgr, ctx := s.runMgr, s.runCtx
	s.mu.Unlock()
	if mgr == nil {
		return errStopped
	}
	return mgr.Handle(ctx, u) // fails only once the manager stopped
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
