package recent

import "testing"

// Delete forgets a key, and its place among the kept: the keys put
// after it are not forgotten for it.
func TestDelete(t *testing.T) {
	var m Map[string, int]
	m.Put("a", 1, 2)
	m.Put("b", 2, 2)
	m.Delete("a")
	m.Delete("absent")
	if _, ok := m.Get("a"); ok {
		t.Error("a kept after its Delete")
	}
	m.Put("c", 3, 2)
	m.Put("a", 4, 2) // forgets b, the oldest
	for k, want := range map[string]int{"c": 3, "a": 4} {
		if v, ok := m.Get(k); !ok || v != want {
			t.Errorf("%s = %d, %v; want %d", k, v, ok, want)
		}
	}
	if _, ok := m.Get("b"); ok || m.Len() != 2 {
		t.Errorf("b kept (%v) or %d keys, want 2", ok, m.Len())
	}
}
