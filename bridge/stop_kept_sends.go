package bridge

import (
	"context"
	"sync"

	"passerelle.im/passerelle/bridge/wire"
)

// A kept stanza's record (stop_kept.go) is forgotten once what its
// handling at the next start sent is written: the link takes a stanza
// while it is up (Send returns nil), but may go down before its writer
// wrote it (its done hears why), and one sent once it is down is
// refused. Forgotten then, the record was lost with the answer, and its
// sender never heard. So the sends of a replayed kept stanza's handling
// are watched (send and tell note them on the replay's context): the
// replay waits for the link's word on each, sends again, once the link
// is up, those it did not write, and forgets the record once all are
// written. A stop first keeps the record for the start after. A user's
// message read and waiting in its worker at the stop (its record as
// read, held_queue.go), replayed as it is (held.go), is watched so too:
// refused then (an encrypted one, a correction naming nothing), its
// error is its answer.
//
// A stop that cuts the handling keeps the record too, but not when the
// answer went before it (written, as the link writes what was queued
// before its close): the next start sent it a second time. An iq's
// answer, or a message's error, is one stanza with the stanza's id; the
// replay's own answer (to a set or a chat line kept as its envelope) is
// the whole handling.

// sendWatch is the sends made on a replay's context, in order.
type sendWatch struct {
	mu    sync.Mutex
	sends []*watchedSend
}

// watchedSend is one stanza sent, and the link's word on it.
type watchedSend struct {
	data []byte
	res  chan error // the link's done; buffered: it never waits
}

type sendWatchKey struct{}

// watchSends returns ctx with its sends watched (send, tell), and the
// watch.
func watchSends(ctx context.Context) (context.Context, *sendWatch) {
	w := &sendWatch{}
	return context.WithValue(ctx, sendWatchKey{}, w), w
}

// sendWatchOf is ctx's watch, nil if its sends are not watched.
func sendWatchOf(ctx context.Context) *sendWatch {
	w, _ := ctx.Value(sendWatchKey{}).(*sendWatch)
	return w
}

// watchSend notes a send of data on ctx and returns the done to give the
// link for it (which the sender calls itself with Send's error, when
// Send refused it), nil if ctx's sends are not watched.
func watchSend(ctx context.Context, data []byte) func(error) {
	w := sendWatchOf(ctx)
	if w == nil {
		return nil
	}
	s := &watchedSend{data: data, res: make(chan error, 1)}
	w.mu.Lock()
	w.sends = append(w.sends, s)
	w.mu.Unlock()
	return func(err error) { s.res <- err }
}

// sent is the sends watched so far, in order.
func (w *sendWatch) sent() []*watchedSend {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sends[:len(w.sends):len(w.sends)]
}

// written waits for the link's word on each of sends, and sends again,
// in order and once the link is up, those it did not write. It reports
// whether all are written: false when ctx ends (the stop) before one
// is. The wait for a send the link took ends at the latest with the
// link's run, at the stop: it then fails what it did not write.
func (t *transport) written(ctx context.Context, sends []*watchedSend) bool {
	for _, s := range sends {
		err := <-s.res
		for err != nil {
			t.log.Info("an answer to a stanza read as the gateway stopped was not written; sent again once the link is up", "err", err)
			if ctx.Err() != nil || t.link.WaitUp(ctx) != nil {
				return false
			}
			res := make(chan error, 1)
			if err = t.link.Send(ctx, s.data, func(err error) { res <- err }); err == nil {
				err = <-res
			}
		}
	}
	return true
}

// answers reports whether one of sends answers st whole: an iq's result
// or error, a message's error, with st's id.
func answers(sends []*watchedSend, st *wire.Stanza) bool {
	if st.Kind() != "iq" && st.Kind() != "message" {
		return false
	}
	for _, s := range sends {
		a, err := wire.Parse(string(s.data))
		if err != nil || a.Kind() != st.Kind() || a.ID() != st.ID() || a.To() != st.From() {
			continue
		}
		if a.Type() == "error" || st.Kind() == "iq" && a.Type() == "result" {
			return true
		}
	}
	return false
}

// keptHandled reports whether a replayed kept stanza st is done with
// its record: what its handling sent on ctx is written, and the
// handling ended before any stop (cut false), or its answer went
// (whole: what was sent is all of it). Without a watch on ctx, only
// whether the handling ended before any stop.
func (t *transport) keptHandled(ctx context.Context, st *wire.Stanza, cut, whole bool) bool {
	w := sendWatchOf(ctx)
	if w == nil {
		return !cut
	}
	sends := w.sent()
	if !t.written(ctx, sends) {
		return false
	}
	return !cut || whole && len(sends) > 0 || answers(sends, st)
}
