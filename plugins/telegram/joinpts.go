package telegram

import (
	"context"
	"sync"

	"github.com/gotd/td/telegram"
	"github.com/gotd/td/tg"
)

// A channel the user joins through the gateway is new to gotd's updates
// manager, which follows a channel from the first of its updates to
// reach it (channelpts.go). The join's service message and the next
// update (a welcome bot's, say) come back to back, each read on its own
// goroutine: the manager could get the second first, follow the channel
// from it, and drop the join (whose service message brings the room) as
// already seen (TestJoinFirstUpdatesBackToBack). So while a join is
// asked, the updates pushed for channels the manager does not follow yet
// wait; the join's answer gives the channel's pts, kept with its access
// hash for the manager to follow the channel from, and then they go on.

// joinGate holds pushed updates of channels not followed while joins are
// asked.
type joinGate struct {
	mu    sync.Mutex
	joins int
	held  []heldUpdates
}

// heldUpdates is a pushed container held, with the manager it was for.
type heldUpdates struct {
	to  telegram.UpdateHandler
	upd tg.UpdatesClass
}

// gatedHandler is what the client hands pushed updates to: the manager,
// behind the session's joinGate.
type gatedHandler struct {
	s   *Session
	mgr telegram.UpdateHandler
}

// Handle passes u on, unless a join is asked and u has an update of a
// channel not followed yet.
func (g gatedHandler) Handle(ctx context.Context, u tg.UpdatesClass) error {
	if g.s.joins.hold(ctx, g.s.db, g.mgr, u) {
		return nil
	}
	return g.mgr.Handle(ctx, u)
}

// hold keeps u for later when a join is asked and u has an update of a
// channel the store db gives keeps no pts of. The store is looked up only
// then: most updates come with no join asked.
func (j *joinGate) hold(ctx context.Context, db func() *store, to telegram.UpdateHandler, u tg.UpdatesClass) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.joins == 0 {
		return false
	}
	st := db()
	if st == nil {
		return false
	}
	for _, x := range updateList(u) {
		ch, _, _, ok, err := tg.IsChannelPtsUpdate(x)
		if !ok || err != nil {
			continue
		}
		if _, found, err := st.GetChannelPts(ctx, 0, ch); err == nil && !found {
			j.held = append(j.held, heldUpdates{to: to, upd: u})
			return true
		}
	}
	return false
}

// joining asks join, holding meanwhile the pushed updates of channels
// not followed, and keeps the pts its answer gives before they go on.
func (s *Session) joining(ctx context.Context, join func() (tg.MessagesChatInviteJoinResultClass, error)) (tg.MessagesChatInviteJoinResultClass, error) {
	s.joins.mu.Lock()
	s.joins.joins++
	s.joins.mu.Unlock()
	res, err := join()
	if ok, is := res.(*tg.MessagesChatInviteJoinResultOk); is && err == nil {
		if st := s.db(); st != nil {
			s.seedFrom(ctx, st, ok.Updates)
		}
	}
	s.joins.mu.Lock()
	s.joins.joins--
	var held []heldUpdates
	if s.joins.joins == 0 {
		held, s.joins.held = s.joins.held, nil
	}
	s.joins.mu.Unlock()
	if len(held) > 0 {
		hctx, cancel := context.WithTimeout(context.Background(), DialTimeout)
		defer cancel()
		for _, h := range held {
			if herr := h.to.Handle(hctx, h.upd); herr != nil {
				s.n.log().Warn("telegram: updates held during a join were not handled", "login", s.login.LoginID, "err", herr)
			}
		}
	}
	return res, err
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
