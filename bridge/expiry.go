package bridge

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// Disappearing messages. A message the network deletes by itself (a
// chat's timer: MessageEvent.expires_unix_micro, or a send's
// CommandResult.expires_unix_micro) has its deadline recorded in the
// store before the plugin hears that the message is stored, so that no
// crash loses it; a timer that starts when the user reads the message
// (expires_after_read_seconds, Signal's) waits in the store until the
// user's client marks it displayed or the network says the user read it
// elsewhere. When a deadline passes, expiryLoop retracts the message the
// way the network's own deletions go: a RetractionEvent (expired) from
// its sender through storeEvents, so that it is stored, delivered after a
// restart, deduplicated, and tombstones a room's archive. A message past
// its deadline when it arrives (late, or history) is not shown.

// expiredPrefix starts the event ID of the gateway's own retraction of an
// expired message: no network's message ID starts so.
const expiredPrefix = "passerelle-expired:"

// expiryBatch bounds the deadlines acted on in one go.
const expiryBatch = 256

// expiries wakes expiryLoop when a deadline earlier than the one it waits
// for is recorded.
type expiries struct {
	mu   sync.Mutex
	next time.Time // the deadline the loop waits for; zero: none
	wake chan struct{}

	// reads are the users' latest reads, by login and chat, kept
	// readKept: a read that races the commit of the messages it covers
	// starts their timers once they are put.
	readsMu sync.Mutex
	reads   map[[2]string][]readMark
}

// readMark is how far a read of the user's reached in a chat, and when
// it was noted: it covers only messages that came before then.
type readMark struct{ upTo, at time.Time }

// readKept is how long a read is kept for the messages still committing:
// far longer than a commit takes.
const readKept = time.Minute

// readsKept bounds the reads kept per chat: far more than come during a
// commit.
const readsKept = 8

// noteRead records that the user read ref's chat up to ref. Each read is
// kept apart: a later one may reach less far (a message dated before the
// one read last, come since), and an earlier one covers no message that
// came after it.
func (x *expiries) noteRead(ref store.MessageRef) {
	now := time.Now()
	x.readsMu.Lock()
	defer x.readsMu.Unlock()
	if x.reads == nil {
		x.reads = map[[2]string][]readMark{}
	}
	if len(x.reads) >= 1024 {
		for k, ms := range x.reads {
			if now.Sub(ms[len(ms)-1].at) > readKept {
				delete(x.reads, k)
			}
		}
	}
	k := [2]string{ref.LoginID, ref.ChatID}
	ms := slices.DeleteFunc(x.reads[k], func(m readMark) bool { return now.Sub(m.at) > readKept })
	if len(ms) >= readsKept {
		ms = slices.Delete(ms, 0, len(ms)-readsKept+1)
	}
	x.reads[k] = append(ms, readMark{upTo: ref.Time, at: now})
}

// readUpTo is how far the user's reads of the chat lately reached, of
// those noted since a message came (arrived), if any was.
func (x *expiries) readUpTo(loginID, chatID string, arrived time.Time) (time.Time, bool) {
	x.readsMu.Lock()
	defer x.readsMu.Unlock()
	var upTo time.Time
	found := false
	for _, m := range x.reads[[2]string{loginID, chatID}] {
		if time.Since(m.at) > readKept || m.at.Before(arrived) {
			continue
		}
		if !found || m.upTo.After(upTo) {
			upTo, found = m.upTo, true
		}
	}
	return upTo, found
}

// scheduled tells the loop of a new deadline at.
func (x *expiries) scheduled(at time.Time) {
	if at.IsZero() {
		return
	}
	x.mu.Lock()
	early := x.next.IsZero() || at.Before(x.next)
	if early {
		x.next = at
	}
	x.mu.Unlock()
	if early {
		select {
		case x.wake <- struct{}{}:
		default:
		}
	}
}

// expiryLoop retracts each message whose deadline passed, at once for
// those that passed while the gateway was down, until ctx ends.
func (t *transport) expiryLoop(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		// Read and noted under the lock: a deadline recorded after the
		// read is then compared with what the loop waits for, not with
		// an older wait (see scheduled).
		t.expiry.mu.Lock()
		now := time.Now()
		due, next, err := t.db.DueExpiries(t.name, now, expiryBatch)
		if err != nil {
			t.log.Error("cannot read the disappearing messages' deadlines; trying again in a minute", "err", err)
			next = now.Add(time.Minute)
		}
		if len(due) > 0 {
			next = now // acted on below, then read again
		}
		t.expiry.next = next
		t.expiry.mu.Unlock()
		if len(due) > 0 {
			if t.expire(ctx, due) {
				continue
			}
			next = time.Now().Add(time.Minute) // the store failed: again later
			t.expiry.mu.Lock()
			t.expiry.next = next
			t.expiry.mu.Unlock()
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = min(wait, max(time.Until(next), 0))
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-t.expiry.wake:
			timer.Stop() // Go 1.23's timers keep no stale tick to drain
		case <-ctx.Done():
			return
		}
	}
}

// expire retracts the messages of due, and forgets their deadlines once
// the retractions are stored; false when the store failed.
func (t *transport) expire(ctx context.Context, due []store.Expiry) bool {
	now := time.Now().UnixMicro()
	evs := make([]*pb.Event, 0, len(due))
	var lost []store.MessageRef
	for _, e := range due {
		if t.sessionOf(e.LoginID) == nil {
			continue // nobody has the login any more: nothing to retract
		}
		// A deadline longer than message_retention outlives the message's
		// map entry, which the retraction names it by: put back what the
		// deadline kept of it.
		if _, err := t.db.LookupRemote(t.name, e.LoginID, e.ChatID, e.RemoteID); errors.Is(err, store.ErrNotFound) && e.XMPPID != "" {
			lost = append(lost, store.MessageRef{Transport: t.name, LoginID: e.LoginID, ChatID: e.ChatID, RemoteID: e.RemoteID,
				ID: e.XMPPID, FromMe: e.FromMe, Time: time.UnixMicro(now), Files: e.Files, Text: e.Text})
		}
		typ := pb.ChatType_CHAT_TYPE_DIRECT
		if e.Group {
			typ = pb.ChatType_CHAT_TYPE_GROUP
		}
		evs = append(evs, &pb.Event{LoginId: e.LoginID, ChatId: e.ChatID, ChatType: typ,
			Sender:             &pb.Sender{UserId: e.SenderID, IsFromMe: e.FromMe},
			TimestampUnixMicro: now, EventId: expiredPrefix + e.RemoteID,
			Payload: &pb.Event_Retraction{Retraction: &pb.RetractionEvent{TargetId: e.RemoteID, Expired: true}}})
	}
	if len(lost) > 0 {
		if err := t.db.PutMessages(context.WithoutCancel(ctx), lost); err != nil {
			t.log.Error("map entries of expired messages not put back; they stay on XMPP", "err", err)
		}
	}
	if len(evs) > 0 {
		var err error
		select {
		case err = <-t.storeEvents(ctx, evs):
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err != nil {
			if ctx.Err() == nil {
				t.log.Error("retractions of expired messages not stored; trying again", "err", err)
			}
			return false
		}
		t.log.Debug("expired messages retracted", "count", len(evs))
	}
	if err := t.db.DeleteExpiries(context.WithoutCancel(ctx), t.name, due); err != nil {
		t.log.Error("deadlines of retracted messages not forgotten; they are retracted again (and dropped as duplicates)", "err", err)
		return false
	}
	return true
}

// expiryOf is the deadline of a new message event, if it has one; a
// timer started by a read is told by readExpiryOf.
func expiryOf(ev *pb.Event) (store.Expiry, bool) {
	m := ev.GetMessage()
	if m == nil || m.ExpiresUnixMicro <= 0 || ev.EventId == "" {
		return store.Expiry{}, false
	}
	e := store.Expiry{LoginID: ev.LoginId, ChatID: ev.ChatId, RemoteID: ev.EventId,
		At: time.UnixMicro(m.ExpiresUnixMicro), SenderID: ev.GetSender().GetUserId(),
		FromMe: ev.GetSender().GetIsFromMe(), Group: isGroup(ev.ChatType)}
	e.Files, e.Text = messageFiles(m)
	return e, true
}

func readExpiryOf(ev *pb.Event) (store.ReadExpiry, bool) {
	m := ev.GetMessage()
	if m == nil || m.ExpiresUnixMicro > 0 || m.ExpiresAfterReadSeconds <= 0 || ev.EventId == "" {
		return store.ReadExpiry{}, false
	}
	e := store.Expiry{LoginID: ev.LoginId, ChatID: ev.ChatId, RemoteID: ev.EventId, SenderID: ev.GetSender().GetUserId(),
		FromMe: ev.GetSender().GetIsFromMe(), Group: isGroup(ev.ChatType)}
	e.Files, e.Text = messageFiles(m)
	return store.ReadExpiry{Expiry: e, Time: time.UnixMicro(ev.TimestampUnixMicro),
		After: time.Duration(min(m.ExpiresAfterReadSeconds, 1<<32)) * time.Second}, true
}

// standsForExpiry is, for a network's retraction of a message, the dedup
// key of the gateway's own retraction of it at its deadline, stored with
// it (no outbox entry): the network deleting a message at its deadline
// (Telegram) retracts it once, whichever of the two comes first.
func standsForExpiry(ev *pb.Event) (store.InboundEvent, bool) {
	r := ev.GetRetraction()
	if r == nil || r.Expired || r.TargetId == "" {
		return store.InboundEvent{}, false
	}
	return store.InboundEvent{Seq: ev.Seq, LoginID: ev.LoginId, ChatID: ev.ChatId, DedupID: expiredPrefix + r.TargetId, Delivered: true}, true
}

// keptInBatch gives a batch's messages the deadlines the batch's own
// ExpiryEvents set, before anything looks at them: a message and its keep
// that queued up together (the gateway away longer than the chat's
// timer) is shown and kept, not dropped as run out on arrival. A kept
// message's deadline is KeptForever, so that a later undo finds it.
func keptInBatch(evs []*pb.Event) {
	var moves map[string]*pb.ExpiryEvent
	for _, ev := range evs {
		if x := ev.GetExpiry(); x != nil && x.TargetId != "" {
			if moves == nil {
				moves = map[string]*pb.ExpiryEvent{}
			}
			moves[refKey(ev.LoginId, ev.ChatId, x.TargetId)] = x // the last one holds
		}
	}
	if moves == nil {
		return
	}
	for _, ev := range evs {
		m := ev.GetMessage()
		x, ok := moves[refKey(ev.LoginId, ev.ChatId, ev.EventId)]
		if m == nil || ev.EventId == "" || !ok {
			continue
		}
		applyKeep(ev, x)
	}
}

// applyKeep gives the message ev the deadline x sets: x's own, or
// counted from the message's time, or none (KeptForever).
func applyKeep(ev *pb.Event, x *pb.ExpiryEvent) {
	m := ev.GetMessage()
	switch {
	case x.ExpiresUnixMicro > 0:
		m.ExpiresUnixMicro = x.ExpiresUnixMicro
	case x.ExpiresAfterSeconds > 0:
		m.ExpiresUnixMicro = ev.TimestampUnixMicro + min(x.ExpiresAfterSeconds, 1<<32)*1e6
	default:
		m.ExpiresUnixMicro = store.KeptForever.UnixMicro()
	}
}

// expiredOnArrival: the event is a message whose deadline passed already.
func expiredOnArrival(ev *pb.Event, now time.Time) bool {
	e, ok := expiryOf(ev)
	return ok && !e.At.After(now)
}

// timers is what a batch of events records of the messages' timers.
type timers struct {
	at   []store.Expiry
	read []store.ReadExpiry
	// arrived is parallel to read: when each message came (a read
	// noted before covers it not).
	arrived []time.Time
	// moves are the network's changes of deadlines (ExpiryEvent).
	moves []expiryMove
}

// expiryMove is an ExpiryEvent: at, the new deadline, or after, counted
// from the message's time; both zero keep the message for good.
type expiryMove struct {
	loginID, chatID, remoteID string
	at                        time.Time
	after                     time.Duration
	since                     time.Time // the event's time
}

// add records the timer of ev, delivered as xid, if it has one: one not
// run out yet, or any for a duplicate (whose first copy's may be lost).
// A timer the store would refuse (a hostile plugin's sender ID) is left
// out with a log line, never allowed to hold the batch.
func (x *timers) add(ev *pb.Event, xid string, now time.Time, dup bool) {
	if m := ev.GetExpiry(); m != nil {
		if m.TargetId != "" {
			mv := expiryMove{loginID: ev.LoginId, chatID: ev.ChatId, remoteID: m.TargetId,
				after: time.Duration(min(max(m.ExpiresAfterSeconds, 0), 1<<32)) * time.Second,
				since: time.UnixMicro(min(max(ev.TimestampUnixMicro, 0), 1<<62))}
			if m.ExpiresUnixMicro > 0 {
				mv.at = time.UnixMicro(m.ExpiresUnixMicro)
			}
			x.moves = append(x.moves, mv)
		}
		return
	}
	if e, ok := expiryOf(ev); ok && (dup || e.At.After(now)) {
		e.XMPPID = xid
		if err := e.Check(); err != nil {
			slog.Warn("bridge: a disappearing message's deadline left out", "login", ev.LoginId, "chat", ev.ChatId, "event_id", ev.EventId, "err", err)
			return
		}
		x.at = append(x.at, e)
	} else if r, ok := readExpiryOf(ev); ok {
		r.XMPPID = xid
		if err := r.Check(); err != nil {
			slog.Warn("bridge: a disappearing message's timer left out", "login", ev.LoginId, "chat", ev.ChatId, "event_id", ev.EventId, "err", err)
			return
		}
		x.read = append(x.read, r)
		x.arrived = append(x.arrived, now)
	}
}

// putTimers records the timers of stored events, before the plugin hears
// they are stored: a crash in between makes the plugin send them again,
// and their timers are recorded then (a duplicate's too).
func (t *transport) putTimers(ctx context.Context, x timers) error {
	if len(x.at) == 0 && len(x.read) == 0 && len(x.moves) == 0 {
		return nil
	}
	err := t.storeRetry(ctx, "recording disappearing messages' deadlines", func() error {
		return t.db.PutTimers(context.WithoutCancel(ctx), t.name, x.at, x.read)
	})
	if err != nil {
		return err
	}
	if err := t.moveExpiries(ctx, x.moves); err != nil {
		return err
	}
	for _, e := range x.at {
		t.expiry.scheduled(e.At)
	}
	// A read that came while these were committing started none of
	// them (readUpTo): start them now.
	upTo := map[[2]string]time.Time{}
	var chats [][2]string
	for i, r := range x.read {
		k := [2]string{r.LoginID, r.ChatID}
		if u, ok := t.expiry.readUpTo(r.LoginID, r.ChatID, x.arrived[i]); ok && !u.Before(r.Time) {
			if cur, seen := upTo[k]; !seen {
				chats = append(chats, k)
				upTo[k] = u
			} else if u.After(cur) {
				upTo[k] = u
			}
		}
	}
	for _, k := range chats {
		t.startReads(ctx, k[0], k[1], upTo[k])
	}
	return nil
}

// moveExpiries gives messages the new deadlines the network set, after
// the batch's own are recorded (a message and its keep may come
// together). A deadline counted from the message's time needs the
// message: one the gateway does not know is left alone.
func (t *transport) moveExpiries(ctx context.Context, moves []expiryMove) error {
	if len(moves) == 0 {
		return nil
	}
	ms := make([]store.ExpiryMove, 0, len(moves))
	for _, m := range moves {
		at := m.at
		switch {
		case at.IsZero() && m.after > 0:
			ref, ok := t.newRef(m.loginID, m.chatID, m.remoteID)
			if !ok {
				var err error
				if ref, err = t.db.LookupRemote(t.name, m.loginID, m.chatID, m.remoteID); err != nil {
					t.log.Debug("a new deadline of an unknown message; left alone", "login", m.loginID, "chat", m.chatID, "target", m.remoteID)
					continue
				}
			}
			at = ref.Time.Add(m.after)
		case at.IsZero():
			at = store.KeptForever
		}
		ms = append(ms, store.ExpiryMove{LoginID: m.loginID, ChatID: m.chatID, RemoteID: m.remoteID, At: at, Since: m.since})
	}
	err := t.storeRetry(ctx, "moving disappearing messages' deadlines", func() error {
		return t.db.MoveExpiries(context.WithoutCancel(ctx), t.name, ms)
	})
	if err != nil {
		return err
	}
	for _, m := range ms {
		t.expiry.scheduled(m.At)
	}
	return nil
}

// sentExpires records the deadline of a message the user sent (ref, in
// the message map), which the network took as r into a chat with a
// timer. Its write is its own, off the caller's way (a room's lock),
// and the transport's stop waits for it.
func (s *session) sentExpires(ctx context.Context, ref store.MessageRef, r *pb.CommandResult) {
	if r.ExpiresUnixMicro <= 0 || r.MessageId == "" {
		return
	}
	t := s.t
	e := store.Expiry{LoginID: s.LoginID(), ChatID: ref.ChatID, RemoteID: r.MessageId, At: time.UnixMicro(r.ExpiresUnixMicro),
		SenderID: s.LoginID(), FromMe: true, Group: s.rooms.get(ref.ChatID) != nil, XMPPID: xmppID(ref), Files: ref.Files, Text: ref.Text}
	ctx = context.WithoutCancel(ctx)
	t.goBg(func() {
		if err := t.db.PutExpiries(ctx, t.name, []store.Expiry{e}); err != nil {
			t.log.Error("deadline of a disappearing message not recorded; it stays on XMPP", "chat", ref.ChatID, "err", err)
			return
		}
		t.expiry.scheduled(e.At)
	})
}

// readUpTo starts the read-started timers of the chat's messages up to
// ref's, which the user read (on XMPP, or on another device).
func (t *transport) readUpTo(ctx context.Context, ref store.MessageRef) {
	// Noted first: a timer whose message is still committing is put
	// after this look, and then started by putTimers.
	t.expiry.noteRead(ref)
	t.startReads(ctx, ref.LoginID, ref.ChatID, ref.Time)
}

// startReads starts the chat's read-started timers of messages up to
// upTo.
func (t *transport) startReads(ctx context.Context, loginID, chatID string, upTo time.Time) {
	at, err := t.db.StartReadExpiries(context.WithoutCancel(ctx), t.name, loginID, chatID, upTo, time.Now())
	if err != nil {
		t.log.Error("read-started timers not started", "chat", chatID, "err", err)
		return
	}
	t.expiry.scheduled(at)
}

// readOnNetwork starts the read-started timers a read of the user's on
// another device covers (a ReceiptEvent of theirs).
func (t *transport) readOnNetwork(ctx context.Context, ev *pb.Event) {
	r := ev.GetReceipt()
	if r == nil || r.Kind != pb.ReceiptEvent_KIND_READ || !ev.GetSender().GetIsFromMe() || len(r.MessageIds) == 0 {
		return
	}
	newest := slices.Clone(r.MessageIds)
	t.goBg(func() {
		var upTo store.MessageRef
		for _, id := range newest {
			ref, ok := t.newRef(ev.LoginId, ev.ChatId, id) // still committing
			if !ok {
				var err error
				ref, err = t.db.LookupRemote(t.name, ev.LoginId, ev.ChatId, id)
				ok = err == nil
			}
			if ok && ref.Time.After(upTo.Time) {
				upTo = ref
			}
		}
		if upTo.RemoteID != "" {
			t.readUpTo(ctx, upTo)
		}
	})
}
