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

// retentionEvery is how often the pass runs after the first.
const retentionEvery = time.Hour

// archiveRetention is a transport's retention as the store takes it.
func archiveRetention(tc config.Transport) store.ArchiveRetention {
	return store.ArchiveRetention{
		MaxAge:      time.Duration(tc.ArchiveDays) * 24 * time.Hour,
		MaxMessages: tc.ArchiveMessages,
	}
}

// retentionLoop prunes the room archives until ctx ends.
func (t *transport) retentionLoop(ctx context.Context) {
	ret := t.retention
	if ret.MaxAge == 0 && ret.MaxMessages == 0 {
		return // everything is kept
	}
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

// pruneArchives runs one pass over the transport's room archives and
// returns how many messages it dropped.
func (t *transport) pruneArchives(ctx context.Context, ret store.ArchiveRetention, now time.Time) int {
	began := time.Now()
	rooms, err := t.db.ArchiveRooms(t.name)
	if err != nil {
		t.log.Error("archive retention: cannot list the rooms", "err", err)
		return 0
	}
	total, pruned := 0, 0
	for _, room := range rooms {
		if ctx.Err() != nil {
			return total
		}
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
		if len(oldest.Messages) > 0 && oldest.Messages[0].Time.Before(now.Add(-ret.MaxAge)) {
			return true, nil
		}
	}
	return false, nil
}
