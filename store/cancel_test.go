package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// cancelWhileRunning runs call with a context that ends while the writer
// runs call's write: the write is put in one batch behind an op that
// holds the writer, the context ends there and the writer goes on at once.
// A call that reads what its write sets after an error is then a data
// race (under -race). call must queue exactly one write.
func cancelWhileRunning(t *testing.T, db *DB, call func(ctx context.Context) error) {
	t.Helper()
	cancelWhileRunningOf(t, db, false, call)
}

// cancelWhileRunningOf is cancelWhileRunning; hot holds the writer with
// hot ops, for a call whose write is hot (a batch runs its hot ops
// first).
func cancelWhileRunningOf(t *testing.T, db *DB, hot bool, call func(ctx context.Context) error) {
	t.Helper()
	hold := func(fn func()) error {
		if hot {
			return db.submitHot(bg, true, func(*hotBatch) error { fn(); return nil })
		}
		return db.submit(bg, func(*bbolt.Tx) error { fn(); return nil })
	}
	holdFirst, holdSecond := make(chan struct{}), make(chan struct{})
	first, held := make(chan struct{}), make(chan struct{})
	var onceFirst, onceHeld sync.Once // a batch may run again after a checkpoint
	done := make(chan error, 2)
	go func() {
		done <- hold(func() { onceFirst.Do(func() { close(first) }); <-holdFirst })
	}()
	<-first // the writer holds
	go func() {
		done <- hold(func() { onceHeld.Do(func() { close(held) }); <-holdSecond })
	}()
	waitQueued(t, db, 1)
	ctx, cancel := context.WithCancel(bg)
	called := make(chan error, 1)
	go func() { called <- call(ctx) }()
	waitQueued(t, db, 2)
	close(holdFirst) // the next batch: the second hold, then call's write
	<-held
	cancel()
	close(holdSecond)
	if err := <-called; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("call cancelled while its write runs: %v", err)
	}
	must(t, <-done)
	must(t, <-done)
}

// waitQueued waits until the writer's queue holds n ops.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); len(db.ops) != n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the writer's queue holds %d ops, want %d", len(db.ops), n)
		}
	}
}

// TestMoveContactCancelled: a MoveContact whose context ends while its
// write runs returns without reading the result the writer is filling.
// Under -race: a data race on the result before (it was returned with
// the error).
func TestMoveContactCancelled(t *testing.T) {
	db := openTemp(t)
	const tr, login = "sig", "l1"
	for i := range 5 {
		must(t, db.PutPuppets(bg, []Puppet{{Transport: tr, LoginID: login, UserID: "old", Name: "Alice"}}))
		must(t, db.PutMessages(bg, []MessageRef{{Transport: tr, LoginID: login, ChatID: "old", RemoteID: "m1", OriginID: "x1"}}))
		cancelWhileRunning(t, db, func(ctx context.Context) error {
			res, err := db.MoveContact(ctx, "old", Puppet{Transport: tr, LoginID: login, UserID: "new"}, OccupantAuto)
			if err != nil && res != (MoveResult{}) {
				t.Errorf("round %d: MoveContact = %+v with error %v; want no result", i, res, err)
			}
			return err
		})
	}
}

// TestStartReadExpiriesCancelled: as TestMoveContactCancelled, for the
// earliest deadline StartReadExpiries returns.
func TestStartReadExpiriesCancelled(t *testing.T) {
	db := openTemp(t)
	t0 := time.Unix(1_700_000_000, 0)
	for i := range 5 {
		must(t, db.PutReadExpiries(bg, "sig", []ReadExpiry{{Expiry: Expiry{LoginID: "l1", ChatID: "bob", RemoteID: "m1", SenderID: "bob"}, Time: t0, After: time.Minute}}))
		cancelWhileRunning(t, db, func(ctx context.Context) error {
			first, err := db.StartReadExpiries(ctx, "sig", "l1", "bob", t0, t0.Add(time.Hour))
			if err != nil && !first.IsZero() {
				t.Errorf("round %d: StartReadExpiries = %v with error %v; want no time", i, first, err)
			}
			return err
		})
	}
}

// TestInputsNotReadAfterCancel: a write whose context ends while it runs
// returns while the writer may still read its arguments: the caller may
// reuse them then (the writer reads its own copy). Under -race: a data
// race on the caller's slice before.
func TestInputsNotReadAfterCancel(t *testing.T) {
	db := openTemp(t)
	t0 := time.Unix(1_700_000_000, 0)
	e := Expiry{LoginID: "l1", ChatID: "bob", RemoteID: "m1", SenderID: "bob", At: t0}
	r := ReadExpiry{Expiry: e, Time: t0, After: time.Minute}
	cancelWhileRunning(t, db, func(ctx context.Context) error {
		es, rs := []Expiry{e}, []ReadExpiry{r}
		err := db.PutTimers(ctx, "sig", es, rs)
		es[0].RemoteID, rs[0].RemoteID = "reused", "reused"
		return err
	})
	cancelWhileRunning(t, db, func(ctx context.Context) error {
		es := []Expiry{e}
		err := db.DeleteExpiries(ctx, "sig", es)
		es[0].RemoteID = "reused"
		return err
	})
}

// TestOutboxDoneKeysNotReadAfterCancel: as TestInputsNotReadAfterCancel,
// for OutboxDone's keys, a hot write.
func TestOutboxDoneKeysNotReadAfterCancel(t *testing.T) {
	db := openTemp(t)
	cancelWhileRunningOf(t, db, true, func(ctx context.Context) error {
		keys := []uint64{1, 2}
		err := db.OutboxDone(ctx, "wa", keys)
		keys[0] = 3
		return err
	})
}
