package irc

import (
	"testing"
	"unicode/utf8"
)

// The nicks tried instead of a refused one are as long as it (so a
// server that took it takes them), all different, and cut between
// characters.
func TestAltNick(t *testing.T) {
	for _, c := range []struct {
		nick string
		n    int
		want string
	}{
		{"abcdefghi", 0, "abcdefgh_"},
		{"abcdefghi", 1, "abcdefg_1"},
		{"abcdefghi", 12, "abcdef_12"},
		{"abcdefgh_", 0, "abcdefg_1"}, // not the nick itself
		{"a", 0, "a_"},
		{"ab", 3, "a_3"},
		{"zoé", 0, "zo_"},
		{"zoéé", 1, "zoé_1"},
	} {
		got := altNick(c.nick, c.n)
		if got != c.want || !utf8.ValidString(got) {
			t.Errorf("altNick(%q, %d) = %q, want %q", c.nick, c.n, got, c.want)
		}
	}
}
