package bridge

import (
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A disappearing message whose deadline passed before it came is not
// shown, unless the network kept it: its keep (an ExpiryEvent) queues up
// right behind it when both came while the gateway was away, but the
// plugin host may read the two in different batches (keptInBatch covers
// only one batch). So such a message waits here, off its chat's queue,
// for lateHold: a keep in that time delivers it with its new deadline;
// after it, it goes the usual way and is dropped as run out (render).
// It stays in the outbox all along: a stop delivers it again at the next
// start, with the deadline a keep recorded before the stop, else to wait
// here again for the keep the plugin sends again (not acknowledged).

const (
	// lateHold is how long a run-out message waits for its keep: the
	// keep is behind it in the plugin's journal, so it comes at once
	// unless the host or the plugin is slow or starting.
	lateHold = 10 * time.Second
	// lateMax bounds the messages waiting (a week's backlog of a busy
	// chat with a timer): past it they go the usual way, dropped.
	lateMax = 10000
)

// lateMessages are the run-out messages waiting for a keep.
type lateMessages struct {
	wait   time.Duration // 0: lateHold (tests wait less)
	mu     sync.Mutex
	m      map[string]*lateMessage // by refKey
	closed bool
}

type lateMessage struct {
	d     delivery
	timer *time.Timer
}

// hold takes d, when it is a live message run out on arrival, to wait for
// its keep; false: d goes its usual way. push delivers it after.
func (l *lateMessages) hold(d delivery, now time.Time, push func(delivery)) bool {
	ev := d.ev
	if ev.GetMessage() == nil || ev.IsBackfill || !expiredOnArrival(ev, now) {
		return false
	}
	k := refKey(ev.LoginId, ev.ChatId, ev.EventId)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || len(l.m) >= lateMax || l.m[k] != nil {
		return false
	}
	if l.m == nil {
		l.m = map[string]*lateMessage{}
	}
	lm := &lateMessage{d: d}
	wait := l.wait
	if wait == 0 {
		wait = lateHold
	}
	lm.timer = time.AfterFunc(wait, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.closed || l.m[k] != lm {
			return // released by its keep, or the transport stopped
		}
		delete(l.m, k)
		push(lm.d) // dropped there, as run out
	})
	l.m[k] = lm
	return true
}

// release takes the message the keep ev names, if one waits, with the
// keep's deadline, for the caller to queue: shown, or dropped if the new
// deadline passed too. The held event is not changed (its commit may be
// encoding it): the delivery has a copy.
func (l *lateMessages) release(ev *pb.Event) (delivery, bool) {
	x := ev.GetExpiry()
	if x == nil || x.TargetId == "" {
		return delivery{}, false
	}
	k := refKey(ev.LoginId, ev.ChatId, x.TargetId)
	l.mu.Lock()
	lm := l.m[k]
	if lm != nil {
		lm.timer.Stop()
		delete(l.m, k)
	}
	l.mu.Unlock()
	if lm == nil {
		return delivery{}, false
	}
	d := lm.d
	d.ev = proto.Clone(d.ev).(*pb.Event)
	applyKeep(d.ev, x)
	return d, true
}

// stop ends the waits at the transport's stop: the messages stay in the
// outbox, delivered again (and held again) at the next start.
func (l *lateMessages) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for _, lm := range l.m {
		lm.timer.Stop()
	}
	l.m = nil
}

// pushOrHold queues d in its chat, unless it waits for a keep (above).
// A message the outbox kept across a stop, run out as it came, may have
// been kept before the stop (its keep acknowledged, the plugin will not
// send it again): it takes the deadline the store recorded for it.
func (t *transport) pushOrHold(d delivery, now time.Time) {
	if d.key != 0 && d.ev.GetMessage() != nil && expiredOnArrival(d.ev, now) {
		at, ok, err := t.db.DeadlineOf(t.name, d.ev.LoginId, d.ev.ChatId, d.ev.EventId)
		if err != nil {
			t.log.Warn("the deadline of a run-out message kept across a stop not read; it waits for a keep", "login", d.ev.LoginId, "chat", d.ev.ChatId, "event_id", d.ev.EventId, "err", err)
		} else if ok && at.After(now) {
			d.ev = proto.Clone(d.ev).(*pb.Event)
			d.ev.GetMessage().ExpiresUnixMicro = at.UnixMicro()
		}
	}
	// Only a stored one may wait: the outbox has it if the gateway stops.
	if d.commit == nil && d.key == 0 || !t.late.hold(d, now, t.push) {
		t.push(d)
		return
	}
	t.log.Debug("a disappearing message ran out before it came; waiting for the network to keep it", "login", d.ev.LoginId, "chat", d.ev.ChatId, "event_id", d.ev.EventId, "for", lateHold)
}

// push queues d in its chat's delivery worker.
func (t *transport) push(d delivery) {
	t.metrics.Queued(1)
	t.out.push(deliveryAddr(d.ev), d)
}
