package muc

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
)

// nickHolds fails t unless nick is one a MUC JID's resource holds as it
// is, for PRECIS and for Prosody's stringprep alike, and XML carries.
func nickHolds(t *testing.T, what, nick string) {
	t.Helper()
	validNick(t, nick)
	if v, ok := resourcepart(nick); !ok || v != nick {
		t.Fatalf("%s: nick %q is %q, %v as a resourcepart", what, nick, v, ok)
	}
	if wire.XMLSafe(nick) != nick {
		t.Fatalf("%s: nick %q holds what XML cannot", what, nick)
	}
	// OccupantJID keeps it, and no fallback can be it (fallbackOf).
	if !nickFits(nick) || strings.Contains(nick, "  ") {
		t.Fatalf("%s: nick %q would be replaced, or is a fallback's form", what, nick)
	}
}

// FuzzFallbackNick: a bad nick's fallback is a nick a resource holds as
// it is, in the form no nick of Nicks has (two spaces), the same each
// time.
func FuzzFallbackNick(f *testing.F) {
	for _, s := range []string{"", "a\ufffdb", "Ｄａｎ", "e\u0301", "\u200b", "\xff", "שלום abc", "שלום\ufffd", "محمد\u200d", strings.Repeat("\u05d0", 70) + "\ufffd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, nick string) {
		if nickFits(nick) {
			return
		}
		fb := fallbackOf(nick)
		validNick(t, fb)
		if !nickFits(fb) || !strings.Contains(fb, "  ") || fallbackOf(nick) != fb {
			t.Fatalf("fallbackOf(%q) = %q: not a good nick, or not a fallback's form", nick, fb)
		}
	})
}

// FuzzCleanNick: any network name and member ID make a nick a resource
// holds, which cleaning again leaves as it is.
func FuzzCleanNick(f *testing.F) {
	for _, s := range []string{
		"Alice", "  Bob   the\tbuilder ", "Zoe\u0308", "nul\x00byte", "👨\u200d👩\u200d👧", "שלום abc", "محمد 2",
		"a\ufffdb", "x\u2ff0y", "Dan\u200f", "Ｄａｎ", "Lo ❤️", "Da\u00adn", "\xff\xfe", "\u0627\u0301", "ﷺ", "ﬀ (x)",
	} {
		f.Add(s, "id")
	}
	f.Add("", "\u05d0")
	f.Add("\u200d", "x y")
	f.Fuzz(func(t *testing.T, name, id string) {
		nick := CleanNick(name, id)
		nickHolds(t, "CleanNick("+name+")", nick)
		if again := CleanNick(nick, id); again != nick {
			t.Fatalf("CleanNick(%q) = %q, cleaned again %q", name, nick, again)
		}
	})
}

// FuzzNicks: members come with any names, change them and leave, in any
// order; each member there has a nick a resource holds, and no two
// share one.
func FuzzNicks(f *testing.F) {
	f.Add("a Alice\nb Alice\nc Alice\nb Bob\nd Alice (x)\n-a\na Alice")
	f.Add("1 שלום\n2 שלום\n3 שלום\n4 \u05d0" + strings.Repeat("\u05d1", 70) + "\n5 \u05d0" + strings.Repeat("\u05d1", 70))
	f.Add("x " + strings.Repeat("e\u0301", 40) + "\ny " + strings.Repeat("e\u0301", 40))
	f.Add("p \u200d\nq \u200d\nr user")
	f.Fuzz(func(t *testing.T, script string) {
		n := NewNicks()
		names := map[string]string{}
		for _, line := range strings.Split(script, "\n") {
			if id, ok := strings.CutPrefix(line, "-"); ok {
				n.Remove(id)
				delete(names, id)
				continue
			}
			id, name, _ := strings.Cut(line, " ")
			nick, _ := n.Assign(id, name)
			if again, changed := n.Assign(id, name); again != nick || changed {
				t.Fatalf("%q: %s named %q got %q, then %q, %v", script, id, name, nick, again, changed)
			}
			names[id] = name
			holder := map[string]string{}
			for id := range names {
				nick, ok := n.Nick(id)
				if !ok {
					t.Fatalf("%q: member %s has no nick", script, id)
				}
				nickHolds(t, script, nick)
				if other, ok := holder[nick]; ok {
					t.Fatalf("%q: members %s and %s share nick %q", script, other, id, nick)
				}
				holder[nick] = id
				if got, ok := n.MemberOf(nick); !ok || got != id {
					t.Fatalf("%q: nick %q of %s leads to %q, %v", script, nick, id, got, ok)
				}
			}
			if n.Len() != len(names) {
				t.Fatalf("%q: %d members with nicks, want %d", script, n.Len(), len(names))
			}
		}
	})
}
