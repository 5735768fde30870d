package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/store"
)

// retentionTransport is a test transport on a store that prunes in
// slices of 4, logging into the returned buffer.
func retentionTransport(t *testing.T) (*transport, *syncbuf.Buffer) {
	t.Helper()
	tr := newTestTransport(t)
	db, err := store.OpenOptions(filepath.Join(t.TempDir(), "r.db"), store.Options{PruneChunk: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	logs := &syncbuf.Buffer{}
	tr.db, tr.log = db, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return tr, logs
}

// archiveAt appends one message per time to the room.
func archiveAt(t *testing.T, db *store.DB, room store.RoomKey, times ...time.Time) []string {
	t.Helper()
	msgs := make([]store.ArchivedMessage, len(times))
	for i, tm := range times {
		msgs[i] = store.ArchivedMessage{Time: tm, Nick: "bob", SenderJID: "bob@echo.localhost",
			RemoteID: fmt.Sprintf("%s-%d-%d", room.RoomID, tm.UnixNano(), i), Payload: []byte(fmt.Sprintf("<message><body>%d</body></message>", i))}
	}
	res, err := db.AppendArchive(context.Background(), room, msgs)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(res))
	for i, r := range res {
		ids[i] = r.StanzaID
	}
	return ids
}

// archived lists the stanza-ids the room keeps, oldest first.
func archived(t *testing.T, db *store.DB, room store.RoomKey) []string {
	t.Helper()
	var ids []string
	q := store.ArchiveQuery{Max: store.MaxArchivePage}
	for {
		p, err := db.QueryArchive(context.Background(), room, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range p.Messages {
			ids = append(ids, m.StanzaID)
		}
		if p.Complete {
			return ids
		}
		q.After = p.Last
	}
}

// TestPruneArchives: one pass drops, room by room, what is older than the
// age kept and what is beyond the count kept, oldest first; rooms within
// both keep everything; every room pruned is logged.
func TestPruneArchives(t *testing.T) {
	tr, logs := retentionTransport(t)
	now := time.Now()
	ret := store.ArchiveRetention{MaxAge: 30 * 24 * time.Hour, MaxMessages: 15}
	busy := store.RoomKey{Transport: "echo", UserJID: "alice@localhost", RoomID: "busy"}
	quiet := store.RoomKey{Transport: "echo", UserJID: "alice@localhost", RoomID: "quiet"}
	stale := store.RoomKey{Transport: "echo", UserJID: "bob@localhost", RoomID: "busy"}
	other := store.RoomKey{Transport: "other", UserJID: "alice@localhost", RoomID: "busy"}
	var times []time.Time
	for i := range 30 { // 10 older than 30 days, then 20 recent
		age := time.Duration(40-i) * 24 * time.Hour
		if i >= 10 {
			age = time.Duration(30-i) * time.Minute
		}
		times = append(times, now.Add(-age))
	}
	busyIDs := archiveAt(t, tr.db, busy, times...)
	quietIDs := archiveAt(t, tr.db, quiet, now.Add(-29*24*time.Hour), now.Add(-time.Hour))
	archiveAt(t, tr.db, stale, now.Add(-31*24*time.Hour), now.Add(-60*24*time.Hour), now.Add(-365*24*time.Hour))
	otherIDs := archiveAt(t, tr.db, other, now.Add(-365*24*time.Hour))
	if err := tr.db.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}

	if n := tr.pruneArchives(context.Background(), ret, now); n != 15+3 {
		t.Errorf("pruned %d, want 18", n)
	}
	if got, want := archived(t, tr.db, busy), busyIDs[15:]; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("busy room keeps %v, want the newest 15 %v", got, want)
	}
	if got := archived(t, tr.db, quiet); strings.Join(got, " ") != strings.Join(quietIDs, " ") {
		t.Errorf("quiet room keeps %v, want all of %v", got, quietIDs)
	}
	if got := archived(t, tr.db, stale); len(got) != 0 {
		t.Errorf("stale room keeps %v, want nothing", got)
	}
	if got := archived(t, tr.db, other); len(got) != 1 || got[0] != otherIDs[0] {
		t.Errorf("another transport's room was pruned: %v", got)
	}
	for _, want := range []string{
		`msg="room archive pruned" user=alice@localhost room=busy messages=15`,
		`msg="room archive pruned" user=bob@localhost room=busy messages=3`,
		`msg="archive retention pass done" rooms=3 rooms_pruned=2 messages=18`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs.String(), "room=quiet") {
		t.Errorf("a room that needed nothing was logged:\n%s", logs)
	}
	// A second pass has nothing left to do.
	if n := tr.pruneArchives(context.Background(), ret, now); n != 0 {
		t.Errorf("second pass pruned %d", n)
	}
}

// TestRetentionLoop: the loop prunes at start, again every period, and
// ends with its context; without the transport's retention it prunes
// the rooms that have their own.
func TestRetentionLoop(t *testing.T) {
	tr, _ := retentionTransport(t)
	tr.retention = store.ArchiveRetention{MaxAge: 24 * time.Hour}
	tr.retentionEvery = 20 * time.Millisecond
	room := store.RoomKey{Transport: "echo", UserJID: "alice@localhost", RoomID: "r"}
	old := time.Now().Add(-48 * time.Hour)
	archiveAt(t, tr.db, room, old, time.Now())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tr.retentionLoop(ctx); close(done) }()
	waitArchived := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for len(archived(t, tr.db, room)) != n {
			if time.Now().After(deadline) {
				t.Fatalf("room keeps %d messages, want %d", len(archived(t, tr.db, room)), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitArchived(1) // the pass at start
	archiveAt(t, tr.db, room, old.Add(time.Minute))
	waitArchived(1) // a later pass
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the loop did not end with its context")
	}

	// Without the transport's retention the loop still runs, for the
	// rooms with their own.
	tr.retention = store.ArchiveRetention{}
	if err := tr.db.SetRoomRetention(context.Background(), room, store.ArchiveRetention{MaxMessages: 1}); err != nil {
		t.Fatal(err)
	}
	archiveAt(t, tr.db, room, time.Now(), time.Now())
	ctx, cancel = context.WithCancel(context.Background())
	done = make(chan struct{})
	go func() { tr.retentionLoop(ctx); close(done) }()
	waitArchived(1)
	cancel()
	<-done
}

// TestPruneArchivesRoomRetention: a room's own retention is honoured
// where it keeps less than the transport's, per bound, and cannot keep
// more; rooms without one keep the transport's; with no transport
// retention only the rooms with their own are pruned.
func TestPruneArchivesRoomRetention(t *testing.T) {
	tr, logs := retentionTransport(t)
	ctx := context.Background()
	now := time.Now()
	key := func(id string) store.RoomKey {
		return store.RoomKey{Transport: "echo", UserJID: "alice@localhost", RoomID: id}
	}
	var times []time.Time
	for i := range 20 { // one a day, the oldest 19 days old
		times = append(times, now.Add(-time.Duration(19-i)*24*time.Hour))
	}
	ids := map[string][]string{}
	for _, r := range []string{"fewer", "more", "younger", "none"} {
		ids[r] = archiveAt(t, tr.db, key(r), times...)
	}
	own := map[string]store.ArchiveRetention{
		"fewer":   {MaxMessages: 3},
		"more":    {MaxMessages: 50, MaxAge: 100 * 24 * time.Hour}, // more than the transport's: no effect
		"younger": {MaxAge: 5*24*time.Hour - time.Minute},          // the last 5 days
	}
	for r, ret := range own {
		if err := tr.db.SetRoomRetention(ctx, key(r), ret); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.db.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	def := store.ArchiveRetention{MaxMessages: 10}
	if n := tr.pruneArchives(ctx, def, now); n != 17+10+15+10 {
		t.Errorf("pruned %d, want 52", n)
	}
	for r, keep := range map[string]int{"fewer": 3, "more": 10, "younger": 5, "none": 10} {
		got, want := archived(t, tr.db, key(r)), ids[r][20-keep:]
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("room %s keeps %v, want the newest %d %v", r, got, keep, want)
		}
	}

	// No transport retention: the rooms with their own only.
	var again []time.Time
	for _, tm := range times {
		again = append(again, tm.Add(time.Millisecond))
	}
	archiveAt(t, tr.db, key("none"), again...)
	archiveAt(t, tr.db, key("fewer"), now.Add(time.Millisecond))
	if err := tr.db.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := tr.pruneArchives(ctx, store.ArchiveRetention{}, now); n != 1 {
		t.Errorf("without the transport's retention, pruned %d, want 1", n)
	}
	if got := archived(t, tr.db, key("none")); len(got) != 30 {
		t.Errorf("a room without its own retention was pruned: %d left", len(got))
	}
	if !strings.Contains(logs.String(), `msg="archive retention pass done" rooms=3 rooms_pruned=1 messages=1`) {
		t.Errorf("log:\n%s", logs)
	}
}

// TestEffectiveRetention: per bound, the smaller; zero is no bound.
func TestEffectiveRetention(t *testing.T) {
	d := 24 * time.Hour
	for _, c := range []struct{ def, own, want store.ArchiveRetention }{
		{store.ArchiveRetention{}, store.ArchiveRetention{}, store.ArchiveRetention{}},
		{store.ArchiveRetention{}, store.ArchiveRetention{MaxAge: d, MaxMessages: 5}, store.ArchiveRetention{MaxAge: d, MaxMessages: 5}},
		{store.ArchiveRetention{MaxAge: 2 * d}, store.ArchiveRetention{MaxAge: 3 * d, MaxMessages: 5}, store.ArchiveRetention{MaxAge: 2 * d, MaxMessages: 5}},
		{store.ArchiveRetention{MaxAge: 2 * d, MaxMessages: 9}, store.ArchiveRetention{MaxAge: d}, store.ArchiveRetention{MaxAge: d, MaxMessages: 9}},
	} {
		if got := effectiveRetention(c.def, c.own); got != c.want {
			t.Errorf("effectiveRetention(%+v, %+v) = %+v, want %+v", c.def, c.own, got, c.want)
		}
	}
}
