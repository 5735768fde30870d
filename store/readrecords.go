package store

import (
	"fmt"
	"log/slog"

	"go.etcd.io/bbolt"
)

// readRecords reads each record of b, a login's bucket of what the
// bridge keeps to show things as before a restart (the groups left,
// private chats through rooms, members' avatars), by the key decode
// gives. A record decode cannot read (a damaged file) is left out and
// logged: the others still serve, where failing the whole read left the
// bridge with none of them for the session. nil when none is read.
func readRecords[T any](b *bbolt.Bucket, what, transport, loginID string, decode func(k, v []byte) (string, T, error)) (map[string]T, error) {
	var out map[string]T
	err := b.ForEach(func(k, v []byte) error {
		key, rec, err := decode(k, v)
		if err != nil {
			slog.Warn("store: a damaged record of "+what+" skipped; the others are read",
				"transport", transport, "login", loginID, "key", fmt.Sprintf("%q", k), "err", err)
			return nil
		}
		if out == nil {
			out = map[string]T{}
		}
		out[key] = rec
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", what, err)
	}
	return out, nil
}
