package telegram

import "sync"

// askOrder keeps the reads of a chat's requests to join in the order
// they were made. Several run at once: the updates' (each
// updatePendingJoinRequests), those a ChatInfo starts in the background
// (which the updates' handlers call too: a member's join, a change of
// rights), the answer to an approval or refusal. Each read is Telegram's
// list at the time it was asked; applied after a newer one, it put the
// told requests back as they were: a request answered meanwhile counted
// as still told (so the same person asking again was not told), one
// made meanwhile as not told (so the room's kick or ban of them did not
// answer it, and a restart told it again). A read now takes a ticket
// when it starts; one whose ticket is older than the last applied is
// dropped: a newer read says more.
type askOrder struct {
	mu      sync.Mutex
	next    uint64            // the last ticket given, for all chats
	applied map[string]uint64 // by chat: the ticket of the last applied
}

// ticket is the turn of a read of chat's requests starting now.
func (o *askOrder) ticket() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.next++
	return o.next
}

// apply runs f, the result of chat's read that took ticket t, unless a
// newer read's was applied; it reports whether f ran. f runs with o's
// lock held, so that results are applied one at a time, in order: it
// must not block.
func (o *askOrder) apply(chat string, t uint64, f func()) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if t < o.applied[chat] {
		return false
	}
	if o.applied == nil {
		o.applied = map[string]uint64{}
	}
	o.applied[chat] = t
	f()
	return true
}
