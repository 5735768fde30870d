package bridge

import (
	"testing"
	"time"
)

// TestDropOldestEntry: the entry of the earliest time goes, the others
// stay.
func TestDropOldestEntry(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := map[string]time.Time{"b": at.Add(2 * time.Second), "a": at.Add(time.Second), "c": at.Add(3 * time.Second)}
	dropOldestEntry(m, func(v time.Time) time.Time { return v })
	if _, ok := m["a"]; ok || len(m) != 2 {
		t.Fatalf("after dropping the oldest: %v, want b and c", m)
	}
	dropOldestEntry(m, func(v time.Time) time.Time { return v })
	if _, ok := m["c"]; !ok || len(m) != 1 {
		t.Fatalf("after dropping the oldest again: %v, want c", m)
	}
}
