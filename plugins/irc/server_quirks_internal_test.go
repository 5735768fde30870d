package irc

import (
	"context"
	"strings"
	"testing"
	"time"
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
	// A lead byte puts the cuts elsewhere in the unit: a flag (two
	// regional indicators) is cut between them otherwise.
	for _, lead := range []string{"", "a"} {
		for _, unit := range []string{"e\u0301", "👩\u200d💻", "👍🏽", "❤\ufe0f", "🇫🇷", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"} {
			text := lead + strings.Repeat(unit, 100)
			parts := codec{}.split(text, 64)
			if strings.Join(parts, "") != text {
				t.Fatalf("%q: the pieces do not make the text", unit)
			}
			for i, p := range parts {
				if i == 0 {
					p = strings.TrimPrefix(p, lead)
				}
				if len(p) > 64 || !strings.HasPrefix(p, unit) || (i < len(parts)-1 && !strings.HasSuffix(p, unit)) {
					t.Errorf("%q after %q: piece %d cuts it: %q", unit, lead, i, p)
				}
			}
		}
	}
}

// The pacer lets its burst through at once, then one each interval, in
// turn (each waiter's wait goes on from the one's before it); a wait
// given up gives its token back. Its decisions are read on a clock of
// the test's: measured on the wall clock, they flaked on a loaded
// machine.
func TestPacer(t *testing.T) {
	at := time.Unix(1000, 0)
	p := newPacer(2, 50*time.Millisecond)
	p.now = func() time.Time { return at }
	take := func() time.Duration {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.takeLocked(p.clock())
	}
	for i, want := range []time.Duration{0, 0, 50 * time.Millisecond, 100 * time.Millisecond} {
		if got := take(); got != want {
			t.Errorf("take %d at once: wait %v; want %v", i+1, got, want)
		}
	}
	at = at.Add(100 * time.Millisecond) // the two in debt went
	if p.allow() {
		t.Errorf("a token as the waits end")
	}
	at = at.Add(25 * time.Millisecond)
	if p.allow() {
		t.Errorf("a token half an interval after the waits")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.wait(ctx); err == nil {
		t.Errorf("a wait with its context ended went through")
	}
	at = at.Add(25 * time.Millisecond)
	if !p.allow() {
		t.Errorf("no token an interval after the waits: the given-up wait kept its own")
	}
	if p.allow() {
		t.Errorf("a second token an interval after the waits")
	}
	at = at.Add(time.Hour)
	for i := range 2 {
		if !p.allow() {
			t.Errorf("after an hour, no token %d of the burst", i+1)
		}
	}
	if p.allow() {
		t.Errorf("after an hour, more tokens than the burst")
	}
	// The wait itself: on the wall clock, at least its debt (a timer
	// fires no sooner).
	start := time.Now()
	if err := p.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("a wait for a token an interval away took %v", d)
	}
}
