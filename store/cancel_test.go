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
	holdFirst, holdSecond := make(chan struct{}), make(chan struct{})
	first, held := make(chan struct{}), make(chan struct{})
	var onceFirst, onceHeld sync.Once // a batch may run again after a checkpoint
	done := make(chan error, 2)
	go func() {
		done <- db.submit(bg, func(*bbolt.Tx) error { onceFirst.Do(func() { close(first) }); <-holdFirst; return nil })
	}()
	<-first // the writer holds
	go func() {
		done <- db.submit(bg, func(*bbolt.Tx) error { onceHeld.Do(func() { close(held) }); <-holdSecond; return nil })
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
