package sdk

// The event queue has no cap: Emit never blocks and never drops an event
// for want of room. An event waits, in memory and in the data folder's
// journal, until the gateway has stored it; blocking the network's
// goroutine instead would stall the network's connection (its pings,
// its other chats), and dropping would lose a message the network will
// not send again. What the plugin author needs is to know when events
// pile up (the gateway is not reading them, or the plugin emits faster
// than it stores): a warning, at a count and at each doubling of it.

// backlogWarnAt is the count of unacknowledged events at which the
// queue first warns: far past a burst (a history sync is on the History
// stream, a gateway stores thousands a second).
const backlogWarnAt = 10000

// warnBacklogLocked logs a warning when the unacknowledged events reach
// the next threshold, and doubles it. mu is held.
func (q *eventQueue) warnBacklogLocked() {
	if q.backlogWarn == 0 {
		q.backlogWarn = backlogWarnAt
	}
	n := len(q.pending)
	if n < q.backlogWarn {
		return
	}
	q.backlogWarn *= 2
	q.log.Warn("events wait for the gateway: it has not acknowledged (stored) these yet; Emit neither blocks nor drops them, they are kept in memory and in the journal until it does",
		"unacknowledged", n, "oldest_seq", q.pending[0].Seq, "acked_seq", q.acked)
}

// rearmBacklogLocked lets the warning come again from backlogWarnAt once
// the gateway caught up (under half of it). mu is held.
func (q *eventQueue) rearmBacklogLocked() {
	if len(q.pending) < backlogWarnAt/2 {
		q.backlogWarn = backlogWarnAt
	}
}
