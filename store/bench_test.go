package store

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// benchEvent is one message event as the bridge commits it: a dedup ID, a
// message map entry and a ~600-byte payload.
func benchEvent(n uint64, payload []byte) InboundEvent {
	id := fmt.Sprint("m", n)
	return InboundEvent{
		Seq: n, LoginID: "+33612345678", ChatID: fmt.Sprint("chat", n%50), DedupID: id, Payload: payload,
		Ref: &MessageRef{RemoteID: id, StanzaID: "s" + id, OriginID: "o" + id},
	}
}

// BenchmarkCommitEvents commits one event per call. "single" is one caller
// in sequence, paying one fsync per event; "parallel" runs 16 callers per
// CPU, whose calls the writer groups into shared transactions.
func BenchmarkCommitEvents(b *testing.B) {
	payload := make([]byte, 600)
	b.Run("single", func(b *testing.B) {
		db := openTemp(b)
		var n uint64
		for b.Loop() {
			n++
			if _, _, err := db.CommitEvents(bg, "wa", []InboundEvent{benchEvent(n, payload)}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		db := openTemp(b)
		var n atomic.Uint64
		b.SetParallelism(16)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := db.CommitEvents(bg, "wa", []InboundEvent{benchEvent(n.Add(1), payload)}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkPutMessages puts one message map entry per call, in sequence.
func BenchmarkPutMessages(b *testing.B) {
	db := openTemp(b)
	var n int
	for b.Loop() {
		n++
		id := fmt.Sprint("m", n)
		err := db.PutMessages(bg, []MessageRef{{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: id, OriginID: "o" + id, StanzaID: "s" + id}})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookupXMPP looks up random entries among 10 000 in one chat.
func BenchmarkLookupXMPP(b *testing.B) {
	db := openTemp(b)
	const n = 10000
	refs := make([]MessageRef, 0, n)
	now := time.Now()
	for i := range n {
		id := fmt.Sprint("m", i)
		refs = append(refs, MessageRef{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: id, OriginID: "o" + id, StanzaID: "s" + id, Time: now})
	}
	if err := db.PutMessages(bg, refs); err != nil {
		b.Fatal(err)
	}
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = fmt.Sprint("om", (i*7919)%n) // origin-ids spread over the set
	}
	i := 0
	for b.Loop() {
		if _, err := db.LookupXMPP("wa", "l", "c", ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkMessagePath is the store work of one echo round trip through
// the gateway, as the bridge does it today: the sent message's map entry
// and txn (two writes), the answer's event (dedup, map entry, outbox),
// and its outbox removal (batched by the bridge; here one per message).
// "users=N" runs N conversations at once, so the writer can group them.
//
// "merged" is the same work as the bridge could do it: the sent message's
// map entry and txn in one PutSent, and the outbox removals in batches.
func BenchmarkMessagePath(b *testing.B) {
	payload := make([]byte, 200)
	for _, merged := range []bool{false, true} {
		for _, users := range []int{1, 10, 100} {
			name := fmt.Sprintf("users=%d", users)
			if merged {
				name = "merged/" + name
			}
			b.Run(name, func(b *testing.B) { benchMessagePath(b, payload, users, merged) })
		}
	}
}

func benchMessagePath(b *testing.B, payload []byte, users int, merged bool) {
	db := openTemp(b)
	var n atomic.Uint64
	b.SetParallelism((users + 1) / 2) // GOMAXPROCS is 2 here
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			id := fmt.Sprint("m", i)
			chat := fmt.Sprint("chat", i%50)
			ref := MessageRef{Transport: "wa", LoginID: "+33612345678", ChatID: chat, RemoteID: "r" + id, ID: id, FromMe: true}
			var err error
			if merged {
				err = db.PutSent(bg, ref, id)
			} else {
				err = db.PutMessages(bg, []MessageRef{ref})
				if err == nil {
					err = db.PutTxn(bg, "wa", "+33612345678", id, "r"+id)
				}
			}
			var keys []uint64
			if err == nil {
				ev := benchEvent(i, payload)
				ev.ChatID = chat
				_, keys, err = db.CommitEvents(bg, "wa", []InboundEvent{ev})
			}
			if err == nil && (!merged || i%64 == 0) {
				// Merged: one removal per 64 messages (the bridge
				// batches them by time); the keys of the others stay.
				err = db.OutboxDone(bg, "wa", keys)
			}
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(db.committed.Load())/float64(db.commits.Load()), "ops/commit")
	reportLog(b, db, n.Load())
}

// reportLog reports the log's writes, records and fdatasyncs per message
// (msgs round trips).
func reportLog(b *testing.B, db *DB, msgs uint64) {
	per := func(c *atomic.Uint64) float64 { return float64(c.Load()) / float64(max(msgs, 1)) }
	b.ReportMetric(per(&db.logWrites), "logwrites/msg")
	b.ReportMetric(per(&db.logged), "records/msg")
	b.ReportMetric(per(&db.syncs), "fsyncs/msg")
}

// BenchmarkRoomMessagePath is the store work of one groupchat round trip
// through the gateway as the bridge does it (room_in.go, room_out.go),
// against the echo network's room: the user's message reflected
// (archived) with its map entry, in one write (AppendArchiveSent), then
// the network's two events,
// echo-1's repeat and echo-2's reaction, committed (dedup, the repeat's
// map entry) and each archived as rendered, and the outbox removals in
// batches. Compare with BenchmarkMessagePath/merged, the one-to-one path.
func BenchmarkRoomMessagePath(b *testing.B) {
	for _, users := range []int{1, 10} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) { benchRoomMessagePath(b, users) })
	}
}

func benchRoomMessagePath(b *testing.B, users int) {
	db := openTemp(b)
	payload := make([]byte, 200)
	stanza := make([]byte, 300)
	var n atomic.Uint64
	b.SetParallelism((users + 1) / 2) // GOMAXPROCS is 2 here
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			id := fmt.Sprint("m", i)
			user := fmt.Sprintf("u%d@example.org", i%uint64(users))
			login := fmt.Sprint("l", i%uint64(users))
			room := RoomKey{Transport: "wa", UserJID: user, RoomID: "room"}
			arch := func(nick, remote string) error {
				_, err := db.AppendArchive(bg, room, []ArchivedMessage{{Nick: nick, SenderJID: nick + "@wa.example.org", RemoteID: remote, Payload: stanza}})
				return err
			}
			// The result: reflected and remembered in one write.
			_, err := db.AppendArchiveSent(bg, room, ArchivedMessage{Nick: "me", SenderJID: user, RemoteID: "r" + id, Payload: stanza},
				MessageRef{Transport: "wa", LoginID: login, ChatID: "room", RemoteID: "r" + id, ID: id, OriginID: id, FromMe: true}, "")
			// The network's events, committed together.
			var keys []uint64
			if err == nil {
				repeat := InboundEvent{Seq: 2 * i, LoginID: login, ChatID: "room", DedupID: "e" + id, Payload: payload,
					Ref: &MessageRef{RemoteID: "e" + id, ID: "x" + id}}
				react := InboundEvent{Seq: 2*i + 1, LoginID: login, ChatID: "room", DedupID: "k" + id, Payload: payload}
				_, keys, err = db.CommitEvents(bg, "wa", []InboundEvent{repeat, react})
			}
			// Each rendered and archived in turn.
			if err == nil {
				err = arch("echo-1", "e"+id)
			}
			if err == nil {
				err = arch("echo-2", "k"+id)
			}
			if err == nil && i%64 == 0 {
				err = db.OutboxDone(bg, "wa", keys)
			}
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(db.committed.Load())/float64(db.commits.Load()), "ops/commit")
	reportLog(b, db, n.Load())
}

// BenchmarkCheckpoint applies logged records to bbolt as the background
// checkpoint does, a generation of 2,048 at a time (an echoed message is
// about three: its ref, the sent message's ref and txn), over ten logins
// whose buckets already hold 20,000 messages. It reports CPU and wall time
// per record, not per generation.
func BenchmarkCheckpoint(b *testing.B) {
	db := openTemp(b)
	now := time.Now()
	gen := func(start int) []hotRec {
		recs := make([]hotRec, 0, 2048)
		for i := start; len(recs) < 2048; i++ {
			login := fmt.Sprint("l", i%10)
			id := fmt.Sprint("m", i)
			recs = append(recs,
				hotRec{kind: recRef, ref: MessageRef{Transport: "wa", LoginID: login, ChatID: fmt.Sprint("c", i%40), RemoteID: id, ID: "x" + id, Time: now}},
				hotRec{kind: recTxn, transport: "wa", login: login, id: "t" + id, remote: id, at: now})
		}
		return recs
	}
	for start := 0; start < 20000; start += 1024 {
		if err := db.applyAll(0, gen(1_000_000+start)); err != nil {
			b.Fatal(err)
		}
	}
	var gens [][]hotRec
	n := 0
	for range b.N/2048 + 1 {
		gens = append(gens, gen(n))
		n += 1024
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += 2048 {
		if err := db.applyAll(0, gens[i/2048]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckpointEcho applies the records of echoed messages as the
// bridge logs them, a generation at a time (gen records; the store's
// default is 4,096): per message the sent message's ref and txn, the
// echo's ref, its outbox entry and that entry's removal once delivered,
// over ten logins whose buckets already hold 20,000 messages. It reports
// wall and CPU time per message.
func BenchmarkCheckpointEcho(b *testing.B) {
	for _, gen := range []int{4096, 8192, 16384, 32768} {
		b.Run(fmt.Sprintf("gen=%d", gen), func(b *testing.B) { benchCheckpointEcho(b, gen) })
	}
}

func benchCheckpointEcho(b *testing.B, size int) {
	db := openTemp(b)
	now := time.Now()
	payload := make([]byte, 200)
	var key uint64
	gen := func(start, msgs int) []hotRec {
		recs := make([]hotRec, 0, msgs*5)
		for i := start; i < start+msgs; i++ {
			login := fmt.Sprint("l", i%10)
			chat := fmt.Sprint("c", i%40)
			id := fmt.Sprint("m", i)
			key++
			recs = append(recs,
				hotRec{kind: recRef, ref: MessageRef{Transport: "wa", LoginID: login, ChatID: chat, RemoteID: id, ID: "x" + id, FromMe: true, Time: now}},
				hotRec{kind: recTxn, transport: "wa", login: login, id: "t" + id, remote: id, at: now},
				hotRec{kind: recRef, ref: MessageRef{Transport: "wa", LoginID: login, ChatID: chat, RemoteID: "e" + id, StanzaID: "s" + id, OriginID: "o" + id, Time: now}},
				hotRec{kind: recOutbox, transport: "wa", key: key, val: payload})
			// Delivered a little later: most removals land in the put's
			// generation, the last few in the next one.
			if i-start >= 20 {
				recs = append(recs, hotRec{kind: recOutDel, transport: "wa", key: key - 20})
			}
		}
		for k := key - 19; k <= key && k > 0; k++ {
			recs = append(recs, hotRec{kind: recOutDel, transport: "wa", key: k})
		}
		return recs
	}
	per := size / 5 // messages per generation
	for start := 0; start < 20000; start += per {
		if err := db.applyAll(0, gen(1_000_000+start, per)); err != nil {
			b.Fatal(err)
		}
	}
	var gens [][]hotRec
	for n := 0; n < b.N; n += per {
		gens = append(gens, gen(n, per))
	}
	b.ResetTimer()
	cpu := processCPU()
	for _, g := range gens {
		if err := db.applyAll(0, g); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/msg")
}

// BenchmarkArchivePage reads one page of 50 from a room archive of
// 100,000 messages (and, to show a page does not scan the room, of
// 1,000): the newest page (a client opening the room), a page before a
// stanza-id halfway back (scrolling), and the newest of one sender's.
func BenchmarkArchivePage(b *testing.B) {
	for _, total := range []int{100_000, 1_000} {
		b.Run(fmt.Sprint(total), func(b *testing.B) { benchArchivePage(b, total) })
	}
}

func benchArchivePage(b *testing.B, total int) {
	db := openAt(b, filepath.Join(b.TempDir(), "a.db"), Options{})
	payload := []byte(strings.Repeat("x", 300))
	room := RoomKey{Transport: "wa", UserJID: "alice@example.org", RoomID: "big"}
	var mid string
	base := time.Now().Add(-time.Duration(total) * time.Second)
	for from := 0; from < total; from += 1000 {
		msgs := make([]ArchivedMessage, 1000)
		for i := range msgs {
			n := from + i
			msgs[i] = ArchivedMessage{Time: base.Add(time.Duration(n) * time.Second), Nick: fmt.Sprint("n", n%10),
				SenderJID: fmt.Sprintf("u%d@wa.example.org", n%10), RemoteID: fmt.Sprint("r", n), Payload: payload}
		}
		res, err := db.AppendArchive(bg, room, msgs)
		if err != nil {
			b.Fatal(err)
		}
		if from == total/2/1000*1000 {
			mid = res[total/2%1000].StanzaID
		}
	}
	if err := db.Flush(bg); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		q    ArchiveQuery
	}{
		{"newest", ArchiveQuery{Max: 50, Latest: true}},
		{"before", ArchiveQuery{Max: 50, Before: mid}},
		{"with", ArchiveQuery{Max: 50, Latest: true, With: "u7@wa.example.org"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				p, err := db.QueryArchive(bg, room, c.q)
				if err != nil || len(p.Messages) != 50 {
					b.Fatalf("%d messages, %v", len(p.Messages), err)
				}
			}
		})
	}
}
