package irc

import "testing"

// What services say and set on an identified nick is recognized, and
// what they say otherwise is not.
func TestIdentificationSigns(t *testing.T) {
	// On InspIRCd and UnrealIRCd +R is the user's "private messages from
	// registered nicks only", not identification (it was taken for it).
	for _, tc := range []struct {
		change       string
		ngircd       bool
		now, changed bool
	}{{"+r", false, true, true}, {"+iR", true, true, true}, {"+iR", false, false, false}, {"-r", false, false, true},
		{"+r-r", false, false, true}, {"+iw", false, false, false}, {"-x+r", false, true, true}, {"-R", true, false, true}} {
		if now, changed := registeredMode(tc.change, tc.ngircd); now != tc.now || changed != tc.changed {
			t.Errorf("registeredMode(%q, ngircd %v) = %v, %v; want %v, %v", tc.change, tc.ngircd, now, changed, tc.now, tc.changed)
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
