package bridge

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"passerelle.im/passerelle/bridge/muc"
)

// When the gateway stops, the users' clients joined to its rooms are
// told they are out (XEP-0045 §10.9: status 332, removed by a system
// shutdown) before the component link closes. Told nothing, they took
// themselves for joined until a self-ping or an error said otherwise,
// after the restart; told, they show the room as left and join it again
// later, an ordinary join on the new process.

// stopWait bounds how long a stop waits to tell the rooms' occupants:
// a link that is slow or down does not hold the shutdown.
const stopWait = 2 * time.Second

// closeRoomsAtStop sends every joined resource of every room its
// occupant's unavailable presence with status 332 (and 110), its
// affiliation kept, in each room's order of writes (room_order.go), and
// waits for them to be written, at most stopWait. The rooms' state is
// left as it is: a message a resource sent just before it read the
// presence goes its usual way (held, sent or answered), not refused as
// from a resource not joined; what the network sends meanwhile is in the
// archive for the rejoin's history, whatever a client does with a copy
// that comes after the presence.
func (t *transport) closeRoomsAtStop() {
	// Before any room is looked at: a join that takes a room's lock
	// after the loop below let it go is refused (joinRoom), not answered
	// after the room's shutdown presences, which left that resource
	// joined to a room the next process does not know it is in.
	t.roomsClosed.Store(true)
	if !t.link.Up() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), stopWait)
	defer cancel()
	reason := t.displayName() + " gateway is shutting down"
	var wg sync.WaitGroup
	n := 0
	for _, s := range t.allSessions() {
		for _, r := range s.rooms.all() {
			r.mu.Lock()
			if len(r.joined) == 0 {
				r.mu.Unlock()
				continue
			}
			me := s.selfOccupantLocked(r)
			out := r.toJoinedLocked(s.user, func(to string) []byte {
				return muc.Removed(r.jid, to, me, muc.Shutdown, reason, true)
			})
			turn := r.sendTurnLocked()
			r.mu.Unlock()
			n += len(out)
			wg.Go(func() {
				// Half the stop's time at most for the room's earlier
				// writers: a stuck one leaves the other half to write.
				// Waited as long as the stop, each presence went or
				// not as an expired ctx and the link's queue came out
				// of Send's select.
				turn.waitAtMost(min(sendWait, stopWait/2))
				defer turn.done()
				// Written, or kept from it: each says once (a stanza
				// still queued when the link ends is told it was not
				// sent); ctx bounds the wait all the same.
				written := make(chan struct{}, len(out))
				for _, b := range out {
					if err := t.link.Send(ctx, b, func(error) { written <- struct{}{} }); err != nil {
						written <- struct{}{}
					}
				}
				for range out {
					select {
					case <-written:
					case <-ctx.Done():
						return
					}
				}
			})
		}
	}
	wg.Wait() // each wait ends with ctx, or half of it for a turn
	if ctx.Err() != nil {
		t.log.Warn("rooms' occupants not all told of the stop in time", "presences", n, "wait", stopWait)
		return
	}
	// Most stops have no room joined: a line saying so at info is noise.
	level := slog.LevelInfo
	if n == 0 {
		level = slog.LevelDebug
	}
	t.log.Log(context.Background(), level, "rooms' occupants told of the stop", "presences", n)
}
