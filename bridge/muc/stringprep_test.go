package muc

import "testing"

// TestNickStringprep: network names that PRECIS takes and Prosody's
// stringprep refuses (a right-to-left name with a Latin word or a
// trailing digit, U+FFFD, an ideographic description character, a bidi
// mark) become nicks both take; a second member of the same
// right-to-left name gets its code in Arabic letters, last.
func TestNickStringprep(t *testing.T) {
	for name, want := range map[string]string{
		"שלום abc":   "שלום",
		"abc שלום":   "שלום",
		"محمد 2":     "محمد",
		"a\ufffdb":   "ab",
		"x\u2ff0y":   "xy",
		"Dan\u200f":  "Dan",
		"Dan 🙂":      "Dan 🙂",
		"Zoë":        "Zoë",
		"Ｄａｎ":        "Dan",
		"Lo ❤️":      "Lo ❤",
		"Da\u00adn":  "Dan",
		"שלום עליכם": "שלום עליכם",
	} {
		got := CleanNick(name, "id")
		if got != want {
			t.Errorf("CleanNick(%q) = %q, want %q", name, got, want)
		}
		if !stringprepOK(got) {
			t.Errorf("CleanNick(%q) = %q, which stringprep refuses", name, got)
		}
	}
	n := NewNicks()
	a, _ := n.Assign("a", "שלום")
	b, _ := n.Assign("b", "שלום")
	if a != "שלום" || b == a || !stringprepOK(b) {
		t.Errorf("two of the same right-to-left name: %q and %q", a, b)
	}
	if _, ok := resourcepart(b); !ok {
		t.Errorf("%q is no resourcepart", b)
	}
}
