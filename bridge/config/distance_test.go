package config

import "testing"

// TestEditDistance: a swap of two neighbouring letters is one edit;
// the rest counts as Levenshtein's distance does.
func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "name", 4},
		{"name", "", 4},
		{"name", "name", 0},
		{"nmae", "name", 1},
		{"secert", "secret", 1},
		{"ab", "ba", 1},
		{"ca", "abc", 3}, // optimal string alignment: no edit of a swapped pair
		{"domian", "domain", 1},
		{"backfil_messages", "backfill_messages", 1},
		{"transprot", "transport", 1},
		{"kitten", "sitting", 3},
		{"héllo", "hlélo", 1},
	} {
		if got := editDistance(c.a, c.b); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
