package irc

import "testing"

// What services say and set on an identified nick is recognized, and
// what they say otherwise is not.
func TestIdentificationSigns(t *testing.T) {
	for _, tc := range []struct {
		change       string
		now, changed bool
	}{{"+r", true, true}, {"+iR", true, true}, {"-r", false, true}, {"+r-r", false, true}, {"+iw", false, false}, {"-x+r", true, true}} {
		if now, changed := registeredMode(tc.change); now != tc.now || changed != tc.changed {
			t.Errorf("registeredMode(%q) = %v, %v; want %v, %v", tc.change, now, changed, tc.now, tc.changed)
		}
	}
	for text, want := range map[string]bool{
		"You are now identified for kit.":                    true, // Atheme
		"Password accepted - you are now recognized.":        true, // Anope
		"You're now logged in as kit":                        true, // ergo
		"Invalid password for kit.":                          false,
		"You are not identified.":                            false,
		"This nickname is registered. Please identify first": false,
	} {
		if got := identifiedWords.MatchString(text); got != want {
			t.Errorf("%q taken as identified: %v, want %v", text, got, want)
		}
	}
}
