package bridge

import "time"

// dropOldestEntry deletes the entry of m whose time (at) is the
// earliest, as the store drops the oldest record of a bounded bucket
// (store.MaxLeftGroups, store.MaxPrivateChats): the session's copy keeps
// the records the store keeps.
func dropOldestEntry[V any](m map[string]V, at func(V) time.Time) {
	oldest, first := "", time.Time{}
	for k, v := range m {
		if oldest == "" || at(v).Before(first) {
			oldest, first = k, at(v)
		}
	}
	delete(m, oldest)
}
