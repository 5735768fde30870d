package sdk

import "time"

// A journal that cannot write (a full disk) fails at every flush, which
// comes with every event and every ack: logged each time it would drown
// the plugin's log. It is said once, then at most every
// journalWriteLogEvery with the count not said meanwhile, and once more
// when the journal writes again. The events still go out meanwhile, and
// the records not written are kept for the next try.

// journalWriteLogEvery is the least time between two logs of a journal
// that keeps failing to write.
const journalWriteLogEvery = time.Minute

// journalErrs is the state of the journal's write failures, under the
// queue's mu.
type journalErrs struct {
	failing    bool
	failures   int              // since the first failure
	suppressed int              // since the last log
	logged     time.Time        // the last log
	now        func() time.Time // a seam for tests; nil: time.Now
}

// journalWriteFailedLocked logs err unless a failure was logged within
// journalWriteLogEvery. mu is held.
func (q *eventQueue) journalWriteFailedLocked(err error) {
	e := &q.jerr
	now := time.Now
	if e.now != nil {
		now = e.now
	}
	t := now()
	e.failures++
	if e.failing && t.Sub(e.logged) < journalWriteLogEvery {
		e.suppressed++
		return
	}
	if !e.failing {
		q.log.Error("event journal write failed: events still go out, but those the gateway has not stored yet are lost if the plugin ends before it does; said again at most every minute while it lasts",
			"err", err)
	} else {
		q.log.Error("event journal write failed", "err", err, "suppressed", e.suppressed, "failures", e.failures)
	}
	e.failing, e.logged, e.suppressed = true, t, 0
}

// journalWroteLocked says the journal writes again after failures. mu is
// held.
func (q *eventQueue) journalWroteLocked() {
	e := &q.jerr
	if !e.failing {
		return
	}
	q.log.Info("event journal writes again", "failures", e.failures, "suppressed", e.suppressed)
	*e = journalErrs{now: e.now}
}
