package store

import (
	"context"
	"fmt"
	"hash/maphash"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestBloomLayers(t *testing.T) {
	lf := newLoginFilter()
	f := &idFilters{seed: maphash.MakeSeed()}
	const n = 20000 // past the first layer's 1,024: it grows
	for i := range n {
		lf.add(f.hash('m', []byte(fmt.Sprint("in-", i))))
	}
	if layers := len(*lf.layers.Load()); layers < 2 {
		t.Fatalf("%d layers after %d keys", layers, n)
	}
	for i := range n {
		if !lf.has(f.hash('m', []byte(fmt.Sprint("in-", i)))) {
			t.Fatalf("key %d added, not found", i)
		}
	}
	fp := 0
	for i := range n {
		if lf.has(f.hash('m', []byte(fmt.Sprint("out-", i)))) {
			fp++
		}
	}
	// Each layer under 1 % when full; a few layers together under 3 %.
	if fp > n*3/100 {
		t.Fatalf("%d false positives in %d", fp, n)
	}
	// hashComp hashes the key comp builds, without building it.
	if f.hashComp('x', "chat", "id") != f.hash('x', comp("chat", "id")) {
		t.Fatal("hashComp differs from hash of comp")
	}
	// The bucket is part of the key.
	if lf.has(f.hash('x', []byte("in-1"))) && lf.has(f.hash('t', []byte("in-1"))) && lf.has(f.hash('d', []byte("in-1"))) {
		t.Fatal("one key found in every bucket")
	}
}

// startBuild makes the checks that start a login's build, then waits
// for it.
func startBuild(t *testing.T, db *DB, transport, login string) *loginFilter {
	t.Helper()
	for range buildAfter {
		db.filters.absent(transport, login, bTxn[0], []byte("none"))
	}
	return waitFilter(t, db, transport, login)
}

// waitFilter waits until the login's filter is built.
func waitFilter(t *testing.T, db *DB, transport, login string) *loginFilter {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if lf := db.filters.get(transport, login); lf != nil && lf.ready.Load() {
			return lf
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("no filter built for %s/%s", transport, login)
	return nil
}

// TestIDFilterAnswers: once built, the filter answers "absent" for new
// IDs without bbolt, and never for one bbolt holds, whether it was there
// before the build, checkpointed during it or after.
func TestIDFilterAnswers(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "p.db"), Options{CheckpointRecords: 1 << 20, CheckpointInterval: time.Hour})
	ev := func(id string) InboundEvent {
		return InboundEvent{LoginID: "l", ChatID: "c", DedupID: id, Payload: []byte(id)}
	}
	commit := func(id string) {
		t.Helper()
		if fresh, _, err := db.CommitEvents(bg, "wa", []InboundEvent{ev(id)}); err != nil || !fresh[0] {
			t.Fatalf("commit %s: %v %v", id, fresh, err)
		}
	}
	commit("before")
	must(t, db.PutSent(bg, MessageRef{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "r1", OriginID: "o1", FromMe: true}, "o1"))
	must(t, db.Flush(bg))
	must(t, db.Flush(bg)) // in bbolt only
	// Until the build, checks read bbolt.
	if seen, err := db.Seen("wa", []InboundEvent{ev("before")}); err != nil || !seen[0] {
		t.Fatalf("Seen(before) = %v, %v", seen, err)
	}
	if db.filters.absent("wa", "l", bDedup[0], comp("c", "new")) {
		t.Fatal("absent before any build")
	}
	if lf := db.filters.get("wa", "l"); lf == nil || lf.layers.Load() != nil || lf.building.Load() {
		t.Fatal("a build started after two checks")
	}
	lf := startBuild(t, db, "wa", "l")
	if db.filters.absent("wa", "l", bDedup[0], comp("c", "before")) {
		t.Fatal("filter says a stored dedup key is absent")
	}
	if !db.filters.absent("wa", "l", bDedup[0], comp("c", "new")) {
		t.Fatal("filter does not rule out a new key") // 1 % chance of a false positive: fixed seed would hide it
	}
	commit("after") // logged, then checkpointed: added on the way
	must(t, db.Flush(bg))
	must(t, db.Flush(bg))
	for _, id := range []string{"before", "after"} {
		if seen, err := db.Seen("wa", []InboundEvent{ev(id)}); err != nil || !seen[0] {
			t.Errorf("Seen(%s) = %v, %v", id, seen, err)
		}
		if fresh, _, err := db.CommitEvents(bg, "wa", []InboundEvent{ev(id)}); err != nil || fresh[0] {
			t.Errorf("CommitEvents(%s) again = %v, %v; want a duplicate", id, fresh, err)
		}
	}
	if sent, err := db.SentBefore("wa", "l", "c", "o1"); err != nil || !sent {
		t.Errorf("SentBefore(o1) = %v, %v", sent, err)
	}
	if sent, err := db.SentBefore("wa", "l", "c", "o2"); err != nil || sent {
		t.Errorf("SentBefore(o2) = %v, %v", sent, err)
	}
	if lf.n.Load() < 4 { // before, o1 (txn... or ref and index), after
		t.Errorf("filter holds %d keys", lf.n.Load())
	}
}

// TestIDFilterNoFalseAbsent: events committed while checkpoints run every
// few records and filters are built and rebuilt; every committed ID must
// be seen as a duplicate from then on.
func TestIDFilterNoFalseAbsent(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "p.db"), Options{CheckpointRecords: 16, CheckpointInterval: time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	const logins = 4
	var mu sync.Mutex
	committed := map[int][]string{}
	var wrong, checks atomic.Int64
	var wg sync.WaitGroup
	for l := range logins {
		login := fmt.Sprint("l", l)
		wg.Go(func() { // writer
			for i := 0; ctx.Err() == nil; i++ {
				id := fmt.Sprint("m", i)
				fresh, _, err := db.CommitEvents(bg, "wa", []InboundEvent{{LoginID: login, ChatID: "c", DedupID: id, Payload: []byte("p")}})
				if err != nil || !fresh[0] {
					t.Errorf("%s/%s: %v %v", login, id, fresh, err)
					return
				}
				mu.Lock()
				committed[l] = append(committed[l], id)
				mu.Unlock()
			}
		})
		wg.Go(func() { // checker
			for n := 0; ctx.Err() == nil; n++ {
				mu.Lock()
				ids := committed[l]
				mu.Unlock()
				if len(ids) == 0 {
					continue
				}
				id := ids[n%len(ids)]
				seen, err := db.Seen("wa", []InboundEvent{{LoginID: login, ChatID: "c", DedupID: id}})
				checks.Add(1)
				if err != nil || !seen[0] {
					wrong.Add(1)
					t.Errorf("%s/%s committed, then not seen (%v)", login, id, err)
				}
				if n%1024 == 0 { // and now and then a rebuild
					if lf := db.filters.get("wa", login); lf != nil {
						db.filters.drop("wa", login, lf)
					}
				}
			}
		})
	}
	wg.Wait()
	if checks.Load() < 100 {
		t.Fatalf("only %d checks ran", checks.Load())
	}
	t.Logf("%d checks, %d wrong", checks.Load(), wrong.Load())
}

func TestIDFilterOff(t *testing.T) {
	t.Setenv("PASSERELLE_ID_FILTER", "0")
	db := openTemp(t)
	for range 3 {
		if db.filters.absent("wa", "l", bDedup[0], []byte("k")) {
			t.Fatal("absent with the filter off")
		}
	}
	db.filters.mu.RLock()
	n := len(db.filters.m)
	db.filters.mu.RUnlock()
	if n != 0 {
		t.Fatalf("%d filters built with the filter off", n)
	}
}

// TestIDFilterRebuiltWhenGrown: a filter that took many more keys than it
// was built from is dropped; the next check builds it again.
func TestIDFilterRebuiltWhenGrown(t *testing.T) {
	db := openTemp(t)
	lf := startBuild(t, db, "wa", "l")
	r := hotRec{kind: recDedup, transport: "wa", login: "l", chat: "c"}
	for i := range 1<<14 + 1 {
		r.id = fmt.Sprint(i)
		db.filters.addRec(&r)
	}
	if db.filters.get("wa", "l") == lf {
		t.Fatalf("filter of %d keys, built from %d, kept", lf.n.Load(), lf.built)
	}
	if db.filters.absent("wa", "l", bDedup[0], []byte("k")) {
		t.Fatal("absent with no filter")
	}
	startBuild(t, db, "wa", "l")
}

// TestIDFilterBuildFails: a build that cannot read bbolt (here, a closed
// store) leaves no filter behind, and checks keep reading bbolt.
func TestIDFilterBuildFails(t *testing.T) {
	db := openTemp(t)
	must(t, db.Close())
	for range buildAfter {
		if db.filters.absent("wa", "l", bDedup[0], []byte("k")) {
			t.Fatal("absent without a filter")
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for db.filters.get("wa", "l") != nil {
		if time.Now().After(deadline) {
			t.Fatal("the failed build's filter is still there")
		}
		time.Sleep(time.Millisecond)
	}
	if db.filters.absent("wa", "l", bDedup[0], []byte("k")) {
		t.Fatal("absent after a failed build")
	}
}
