package bridge

import (
	"context"
	"time"

	"passerelle.im/passerelle/bridge/config"
	"passerelle.im/passerelle/store"
)

// The room archives' retention: a background pass over every room with
// an archive on the transport, at start and then every retentionEvery,
// dropping what archive_days and archive_messages no longer keep. It
// runs beside the chats, never on a message's way: the store prunes a
// room in slices (store.PruneArchive), each a write of its own queued
// behind the others, and a room that needs nothing costs two reads.
//
// A user may set a room's own retention (the room-retention command,
// room_retention.go); it can only keep less than the transport's
// (effectiveRetention), as archive_days and archive_messages are the
// administrator's bound on the store.

// retentionEvery is how often the pass runs after the first.
const retentionEvery = time.Hour

// archiveRetention is a transport's retention as the store takes it.
func archiveRetention(tc config.Transport) store.ArchiveRetention {
	return store.ArchiveRetention{
		MaxAge:      time.Duration(tc.ArchiveDays) * 24 * time.Hour,
		MaxMessages: tc.ArchiveMessages,
	}
}

// effectiveRetention is the retention of a room of the transport's
// retention def whose user set own (zero: none): per bound, the smaller
// of the two, a zero bound being none.
func effectiveRetention(def, own store.ArchiveRetention) store.ArchiveRetention {
	if own.MaxAge > 0 && (def.MaxAge == 0 || own.MaxAge < def.MaxAge) {
		def.MaxAge = own.MaxAge
	}
	if own.MaxMessages > 0 && (def.MaxMessages == 0 || own.MaxMessages < def.MaxMessages) {
		def.MaxMessages = own.MaxMessages
	}
	return def
}

// retentionLoop prunes the room archives until ctx ends.
func (t *transport) retentionLoop(ctx context.Context) {
	ret := t.retention
	every := t.retentionEvery
	if every <= 0 {
		every = retentionEvery
	}
	timer := time.NewTimer(0) // at start
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		t.pruneArchives(ctx, ret, time.Now())
		timer.Reset(every)
	}
}

// pruneArchives runs one pass over the transport's room archives, with
// the transport's retention def and the rooms' own, and returns how many
// messages it dropped. Without def only the rooms with their own
// retention are visited.
func (t *transport) pruneArchives(ctx context.Context, def store.ArchiveRetention, now time.Time) int {
	began := time.Now()
	own, err := t.db.RoomRetentions(t.name)
	if err != nil {
		// The transport's retention still applies to every room.
		t.log.Error("archive retention: cannot read the rooms' own retentions", "err", err)
	}
	var rooms []store.RoomKey
	if def == (store.ArchiveRetention{}) {
		for room := range own {
			rooms = append(rooms, room)
		}
	} else if rooms, err = t.db.ArchiveRooms(t.name); err != nil {
		t.log.Error("archive retention: cannot list the rooms", "err", err)
		return 0
	}
	if len(rooms) == 0 && def == (store.ArchiveRetention{}) {
		return 0 // everything is kept: no pass to speak of
	}
	total, pruned := 0, 0
	for _, room := range rooms {
		if ctx.Err() != nil {
			return total
		}
		ret := effectiveRetention(def, own[room])
		need, err := t.needsPrune(ctx, room, ret, now)
		if err == nil && need {
			var n int
			n, err = t.db.PruneArchive(ctx, room, ret, now)
			if n > 0 {
				total += n
				pruned++
				t.log.Info("room archive pruned", "user", room.UserJID, "room", room.RoomID, "messages", n)
			}
		}
		if err != nil && ctx.Err() == nil {
			// One room's trouble stops the pass for it only.
			t.log.Error("archive retention failed for a room", "user", room.UserJID, "room", room.RoomID, "err", err)
		}
	}
	lvl := t.log.Debug
	if total > 0 {
		lvl = t.log.Info
	}
	lvl("archive retention pass done", "rooms", len(rooms), "rooms_pruned", pruned, "messages", total, "took", time.Since(began).Round(time.Millisecond))
	return total
}

// needsPrune reports, by reads alone, whether ret drops anything of
// room: more messages than it keeps, or an oldest one older than it
// keeps. Rooms that need nothing, most of them most hours, cost no write.
func (t *transport) needsPrune(ctx context.Context, room store.RoomKey, ret store.ArchiveRetention, now time.Time) (bool, error) {
	if ret.MaxMessages > 0 {
		c, err := t.db.QueryArchive(ctx, room, store.ArchiveQuery{CountOnly: true})
		if err != nil {
			return false, err
		}
		if c.Count > ret.MaxMessages {
			return true, nil
		}
	}
	if ret.MaxAge > 0 {
		oldest, err := t.db.QueryArchive(ctx, room, store.ArchiveQuery{Max: 1})
		if err != nil {
			return false, err
		}
		if len(oldest.Messages) > 0 && oldest.Messages[0].Arrived.Before(now.Add(-ret.MaxAge)) {
			return true, nil
		}
	}
	return false, nil
}
