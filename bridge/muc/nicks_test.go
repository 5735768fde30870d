package muc

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"mellium.im/xmpp/jid"
)

// validNick: a nick makes a full JID, is not empty and not over MaxNick.
func validNick(t *testing.T, nick string) {
	t.Helper()
	j, err := jid.New("g1", "wa.example.org", nick)
	if err != nil || j.Resourcepart() != nick || nick == "" || utf8.RuneCountInString(nick) > MaxNick || strings.TrimSpace(nick) != nick {
		t.Errorf("nick %q is not a valid resourcepart as is: %v", nick, err)
	}
}

func TestCleanNick(t *testing.T) {
	cases := map[string]string{
		"Alice":                  "Alice",
		"  Bob   the\tbuilder ":  "Bob the builder",
		"Zoë":                    "Zoë",
		"Zoe\u0308":              "Zoë", // NFC, as the JID holds it
		"a/b@c":                  "a/b@c",
		"nul\x00byte":            "nulbyte",
		"bell\x07":               "bell",
		"👨\u200d👩\u200d👧":        "👨👩👧", // joiners the profile refuses are dropped
		strings.Repeat("x", 200): strings.Repeat("x", MaxNick),
	}
	for in, want := range cases {
		if got := CleanNick(in, "id"); got != want {
			t.Errorf("CleanNick(%q) = %q, want %q", in, got, want)
		}
	}
	// Nothing usable: the ID when it is short and clean, else a code.
	if got := CleanNick("", "+33612345678"); got != "+33612345678" {
		t.Errorf("empty name: %q", got)
	}
	for _, name := range []string{"", "   ", "\x00\x01", "\u200d", "\ufffe"} {
		got := CleanNick(name, "bad\x00id")
		if !strings.HasPrefix(got, "user ") {
			t.Errorf("CleanNick(%q, hostile id) = %q", name, got)
		}
		validNick(t, got)
	}
	if a, b := CleanNick("", strings.Repeat("9", 40)), CleanNick("", strings.Repeat("8", 40)); a == b || !strings.HasPrefix(a, "user ") {
		t.Errorf("long IDs: %q, %q", a, b)
	}
}

func TestNicksUnique(t *testing.T) {
	n := NewNicks()
	a, changed := n.Assign("id-a", "Alice")
	if a != "Alice" || !changed {
		t.Fatalf("first Alice: %q %v", a, changed)
	}
	b, _ := n.Assign("id-b", "Alice")
	c, _ := n.Assign("id-c", " Alice ")
	if b == a || c == a || b == c || !strings.HasPrefix(b, "Alice (") || !strings.HasPrefix(c, "Alice (") {
		t.Errorf("collisions: %q %q %q", a, b, c)
	}
	// The same name again keeps the nick; nothing changed.
	if again, changed := n.Assign("id-b", "Alice"); again != b || changed {
		t.Errorf("stable: %q %v, want %q", again, changed, b)
	}
	// A rename frees the old nick; the next claimant of it gets it plain.
	if r, changed := n.Assign("id-a", "Alicia"); r != "Alicia" || !changed {
		t.Errorf("rename: %q %v", r, changed)
	}
	if d, _ := n.Assign("id-d", "Alice"); d != "Alice" {
		t.Errorf("freed nick: %q", d)
	}
	if id, ok := n.MemberOf(b); !ok || id != "id-b" {
		t.Errorf("MemberOf(%q) = %q %v", b, id, ok)
	}
	n.Remove("id-b")
	if _, ok := n.MemberOf(b); ok || n.Len() != 3 {
		t.Errorf("removed member still holds %q (len %d)", b, n.Len())
	}
	// A suffix is itself taken by a name: the next code length.
	m := NewNicks()
	m.Assign("x", "Al")
	taken := withSuffix("Al", idCode("y")[:4])
	m.Assign("z", taken)
	if got, _ := m.Assign("y", "Al"); got == taken || got == "Al" {
		t.Errorf("suffix collision: %q", got)
	}
	// Long names with a suffix still fit.
	long := strings.Repeat("é", 100)
	m.Assign("l1", long)
	got, _ := m.Assign("l2", long)
	validNick(t, got)
}

// TestNicksDeterministic: a member list gets the same nicks whatever its
// order, on every start.
func TestNicksDeterministic(t *testing.T) {
	var members []Member
	for i := range 60 {
		members = append(members, Member{ID: fmt.Sprint("u", i), Name: []string{"Alice", "Bob", "", "  ", "Al\x00ice"}[i%5]})
	}
	want := NewNicks().AssignAll(members)
	for range 10 {
		shuffled := append([]Member(nil), members...)
		rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := NewNicks().AssignAll(shuffled); !maps.Equal(got, want) {
			t.Fatal("nicks depend on the member list's order")
		}
	}
	seen := map[string]bool{}
	for _, nick := range want {
		if seen[nick] {
			t.Errorf("nick %q twice", nick)
		}
		seen[nick] = true
		validNick(t, nick)
	}
	// Known members keep their nicks when the list comes again with newcomers.
	n := NewNicks()
	n.AssignAll(members[1:])
	before, _ := n.Nick("u1")
	after := n.AssignAll(members)
	if after["u1"] != before {
		t.Errorf("known member's nick changed: %q -> %q", before, after["u1"])
	}
}

// TestNicksHostile: random names of any runes give valid, unique nicks.
func TestNicksHostile(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := NewNicks()
	seen := map[string]string{}
	for i := range 2000 {
		var b strings.Builder
		for range r.IntN(12) {
			switch r.IntN(4) {
			case 0:
				b.WriteByte(byte(r.IntN(256))) // invalid UTF-8 too
			case 1:
				b.WriteRune(rune(r.IntN(0x20)))
			case 2:
				b.WriteRune(rune(r.IntN(0x110000)))
			default:
				b.WriteString("a")
			}
		}
		id := fmt.Sprint("m", i)
		nick, _ := n.Assign(id, b.String())
		validNick(t, nick)
		if other, dup := seen[nick]; dup {
			t.Fatalf("nick %q of %s and %s", nick, other, id)
		}
		seen[nick] = id
	}
}
