package sdk

import (
	"path/filepath"
	"slices"
	"testing"
)

// TestToldSetsFreshConfirm: what Fresh returns is on its way, not told:
// a second read while it is does not tell it again; a plugin killed
// before its Confirm (a reload from the file) tells it again, where
// Update had noted it told and it was never told; a failed telling is
// told again at the next read; one answered while on its way is not
// noted told; a confirmed one is told once, across a reload.
func TestToldSetsFreshConfirm(t *testing.T) {
	path := filepath.Join(t.TempDir(), "told.json")
	load := func() *ToldSets { return LoadToldSets(path, "test sets", "told again", nil) }
	want := func(what string, got []string, ids ...string) {
		t.Helper()
		if !slices.Equal(got, ids) {
			t.Errorf("%s: Fresh returned %v, want %v", what, got, ids)
		}
	}
	r := load()
	want("a first read", r.Fresh("g", map[string]bool{"b": true, "a": true}), "a", "b")
	want("a read while a and b are on their way", r.Fresh("g", map[string]bool{"a": true, "b": true}))

	r = load() // killed before any Confirm
	want("after a kill before the Confirm", r.Fresh("g", map[string]bool{"a": true, "b": true}), "a", "b")
	r.Confirm("g", "a", true)
	r.Confirm("g", "b", false) // its event could not be emitted
	want("after a's Confirm and b's failure", r.Fresh("g", map[string]bool{"a": true, "b": true}), "b")
	if !r.Told("g", "a") || r.Told("g", "b") {
		t.Error("Told: want a alone")
	}
	want("b answered while on its way", r.Fresh("g", map[string]bool{"a": true}))
	r.Confirm("g", "b", true)
	if r.Told("g", "b") {
		t.Error("b, answered while on its way, was noted told")
	}

	r = load()
	want("after a reload", r.Fresh("g", map[string]bool{"a": true, "c": true}), "c")
	want("a answered", r.Fresh("g", map[string]bool{"c": true}))
	r.Confirm("g", "c", true)
	r.Forget("g")
	r = load()
	want("after Forget", r.Fresh("g", map[string]bool{"a": true, "c": true}), "a", "c")
}
