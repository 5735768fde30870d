package telegram

import (
	"context"
	"sync"
	"time"

	"github.com/gotd/td/tg"
)

// HandOverWait bounds how long Disconnect waits for the updates of the
// user's own sends, handed to gotd's updates manager, to be saved.
var HandOverWait = 5 * time.Second

// The answer to a send (its message's update, with the chat's new pts)
// is handed to gotd's updates manager, which only queues it: a channel's
// update is applied later on that channel's own goroutine, and only
// then is its pts saved. A Disconnect in between stopped the manager
// with the update still queued: the saved pts stayed below the user's
// message, the next connection's catch-up brought it again, and, the
// note of the gateway's own sends gone with the session, it read as the
// user's from another app (TestSupergroupLive, 3 runs of 8 under -race
// once channels were followed from the connection: channelpts.go).
// So Disconnect first waits, at most HandOverWait, for the pts handed
// over to be saved.

// handedPts is the highest pts of each sequence handed to the manager
// by the session's own sends: by channel ID, 0 for the common one.
type handedPts struct {
	mu  sync.Mutex
	pts map[int64]int
}

// note keeps the pts upd moves each sequence to.
func (h *handedPts) note(upd tg.UpdatesClass) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.pts == nil {
		h.pts = map[int64]int{}
	}
	keep := func(seq int64, pts int) {
		if pts > h.pts[seq] {
			h.pts[seq] = pts
		}
	}
	if u, ok := upd.(*tg.UpdateShortSentMessage); ok {
		keep(0, u.Pts)
		return
	}
	for _, u := range updateList(upd) {
		if ch, pts, _, ok, err := tg.IsChannelPtsUpdate(u); ok && err == nil {
			keep(ch, pts)
		} else if pts, _, ok := tg.IsPtsUpdate(u); ok {
			keep(0, pts)
		}
	}
}

// take is the pts handed over, forgotten.
func (h *handedPts) take() map[int64]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.pts
	h.pts = nil
	return out
}

// handOver gives the manager the updates of an own send's answer,
// noting their pts for Disconnect.
func (s *Session) handOver(ctx context.Context, mgr interface {
	Handle(context.Context, tg.UpdatesClass) error
}, upd tg.UpdatesClass) error {
	s.handed.note(upd)
	return mgr.Handle(ctx, upd)
}

// awaitHanded waits, at most HandOverWait, until the pts handed over
// are saved in st. It is called with the manager still running.
func (s *Session) awaitHanded(ctx context.Context, st *store) {
	want := s.handed.take()
	if len(want) == 0 || st.frozen.Load() {
		return // a frozen state is not saved (store.go)
	}
	t := time.NewTimer(HandOverWait)
	defer t.Stop()
	for {
		changed := st.ptsChanged()
		if st.reached(want) {
			return
		}
		select {
		case <-changed:
		case <-t.C:
			s.n.log().Warn("telegram: the updates of the user's last sends were not saved before the disconnection; the next catch-up may tell them again", "login", s.login.LoginID, "waited", HandOverWait)
			return
		case <-ctx.Done():
			return
		}
	}
}
