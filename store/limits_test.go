package store

import (
	"errors"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/limits"
)

// TestLimitsAreTheContracts: the store's bounds and ID rule are the plugin
// contract's (plugins/limits, held to the proto's Limit enum), which the
// SDK applies to a plugin's events; the store keeps its own copy so that
// its code imports none of the project's packages.
func TestLimitsAreTheContracts(t *testing.T) {
	if MaxKeyPart != limits.IDBytes || MaxMeta != limits.MetaBytes {
		t.Fatalf("store MaxKeyPart %d, MaxMeta %d; contract IDBytes %d, MetaBytes %d", MaxKeyPart, MaxMeta, limits.IDBytes, limits.MetaBytes)
	}
	for _, id := range []string{"ok", "a\x00b", strings.Repeat("a", limits.IDBytes), strings.Repeat("a", limits.IDBytes+1)} {
		if contract, store := limits.CheckID(id) != nil, checkPart("id", id, false) != nil; contract != store {
			t.Errorf("id of %d bytes: contract refuses %v, store refuses %v", len(id), contract, store)
		}
	}
	if !errors.Is(checkPart("id", "a\x00b", false), ErrInvalid) {
		t.Error("a NUL in a key part is not ErrInvalid")
	}
}
