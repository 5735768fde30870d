package sdk

import (
	"path/filepath"
	"slices"
	"testing"
)

// TestToldSets: what was told is told once, across a reload from its
// file; answered (no longer current, Untold) it is told again when it
// comes back; a chat left (Forget, KeepOnly) keeps nothing on disk.
func TestToldSets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "told.json")
	r := LoadToldSets(path, "test sets", "told again", nil)
	if got := r.Update("g", map[string]bool{"b": true, "a": true}); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("first update told %v, want a and b", got)
	}
	r = LoadToldSets(path, "test sets", "told again", nil)
	if got := r.Update("g", map[string]bool{"a": true, "b": true, "c": true}); !slices.Equal(got, []string{"c"}) {
		t.Errorf("after a reload told %v, want c alone", got)
	}
	if !r.Told("g", "a") || r.Told("g", "z") || r.Told("h", "a") {
		t.Error("Told: want a of g only")
	}
	r.Untold("g", "a")
	if got := r.Update("g", map[string]bool{"a": true, "b": true, "c": true}); !slices.Equal(got, []string{"a"}) {
		t.Errorf("after Untold(a) told %v, want a again", got)
	}
	if got := r.Update("g", map[string]bool{"c": true}); got != nil {
		t.Errorf("a and b answered: told %v, want nothing", got)
	}
	if got := r.Update("g", map[string]bool{"b": true, "c": true}); !slices.Equal(got, []string{"b"}) {
		t.Errorf("b asking again after its answer: told %v, want b", got)
	}
	r.Update("h", map[string]bool{"x": true})
	r.Update("k", map[string]bool{"y": true})
	r.Forget("g")
	r.KeepOnly(map[string]bool{"h": true})
	r = LoadToldSets(path, "test sets", "told again", nil)
	if r.Told("g", "b") || r.Told("k", "y") || !r.Told("h", "x") {
		t.Error("after Forget(g) and KeepOnly(h) and a reload: want h's x alone")
	}
}
