package customemoji

import "testing"

// The alts kept are bounded, the newest kept.
func TestCacheBound(t *testing.T) {
	var c Cache
	for id := int64(1); id <= Kept+10; id++ {
		c.Put(id, "🎉")
	}
	if n := c.Len(); n > Kept {
		t.Errorf("%d alts kept, want at most %d", n, Kept)
	}
	if a, ok := c.Get(Kept + 10); !ok || a != "🎉" {
		t.Errorf("the newest alt: %q %v", a, ok)
	}
	if _, ok := c.Get(1); ok {
		t.Errorf("the oldest alt still kept")
	}
}
