package store

import (
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Buckets of a login bounded by a count of records (the groups left, the
// private chats through rooms, the members' avatars) count their keys
// here, and those that keep the newest make room by dropping the oldest.

// countKeys counts b's keys (bbolt's Stats does not see a write
// transaction's own changes).
func countKeys(b *bbolt.Bucket) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

// dropOldest deletes the oldest records of b, by the time at reads in
// each (an unreadable one first), until it holds fewer than max: room
// for one more. what names the records in errors. Writer only.
func dropOldest(b *bbolt.Bucket, max int, what string, at func(v []byte) (time.Time, error)) error {
	for countKeys(b) >= max {
		var oldest []byte
		var first time.Time
		err := b.ForEach(func(k, v []byte) error {
			t, err := at(v)
			if err != nil {
				t = time.Time{} // before any record's
			}
			if oldest == nil || t.Before(first) {
				oldest, first = append([]byte(nil), k...), t
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: prune %s: %w", what, err)
		}
		if oldest == nil {
			return nil
		}
		if err := b.Delete(oldest); err != nil {
			return fmt.Errorf("store: prune %s: %w", what, err)
		}
	}
	return nil
}
