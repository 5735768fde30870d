package irc

import (
	"strings"
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

// A text without spaces is cut between characters, not before a
// combining accent or inside an emoji sequence (joiner, skin tone,
// variation selector), where it can help it.
func TestSplitTextKeepsCharactersWhole(t *testing.T) {
	for _, unit := range []string{"e\u0301", "👩\u200d💻", "👍🏽", "❤\ufe0f"} {
		text := strings.Repeat(unit, 100)
		parts := splitText(text, 64)
		if strings.Join(parts, "") != text {
			t.Fatalf("%q: the pieces do not make the text", unit)
		}
		for i, p := range parts {
			if len(p) > 64 || !strings.HasPrefix(p, unit[:1]) || (i < len(parts)-1 && !strings.HasSuffix(p, unit[len(unit)-1:])) {
				t.Errorf("%q: piece %d cuts it: %q", unit, i, p)
			}
		}
	}
}
