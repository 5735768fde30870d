package bridge_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/limits"
	"passerelle.im/passerelle/store"
)

// TestStoreKeepsTheContractsLimits: the store keeps its own copy of the
// bounds and the ID rule, so that its code imports none of the project's
// packages (this test lives in the bridge, which uses both, for the
// same reason; plugins/ may not import the store); they must stay
// the contract's, which the SDK applies to a plugin's events. The ID
// rule is checked through a real store: a room ID the contract refuses
// is refused as store.ErrInvalid, one it takes is stored.
func TestStoreKeepsTheContractsLimits(t *testing.T) {
	if store.MaxKeyPart != limits.IDBytes || store.MaxMeta != limits.MetaBytes {
		t.Fatalf("store MaxKeyPart %d, MaxMeta %d; contract IDBytes %d, MetaBytes %d", store.MaxKeyPart, store.MaxMeta, limits.IDBytes, limits.MetaBytes)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	for _, id := range []string{"ok", "a\x00b", strings.Repeat("a", limits.IDBytes), strings.Repeat("a", limits.IDBytes+1)} {
		_, err := db.MarkRoomAnnounced(ctx, "t", "u@example.org", id, "")
		contract, refused := limits.CheckID(id) != nil, err != nil
		if contract != refused {
			t.Errorf("id of %d bytes: contract refuses %v, store refuses %v (%v)", len(id), contract, refused, err)
		}
		if refused && !errors.Is(err, store.ErrInvalid) {
			t.Errorf("id of %d bytes refused with %v, want store.ErrInvalid", len(id), err)
		}
	}
}
