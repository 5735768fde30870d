package irc

import (
	"slices"
	"testing"
)

// A safe channel's ID length comes from ISUPPORT's IDCHAN (or the older
// CHIDLEN), else RFC 2811's 5; a full name's short names need an ID of
// upper-case letters and digits of that length.
func TestSafeChannelNames(t *testing.T) {
	for _, tc := range []struct {
		isupport map[string]string
		want     int
	}{
		{nil, 5},
		{map[string]string{"IDCHAN": "!:3"}, 3},
		{map[string]string{"IDCHAN": "#:2,!:4"}, 4},
		{map[string]string{"CHIDLEN": "6"}, 6},
		{map[string]string{"IDCHAN": "!:x", "CHIDLEN": "0"}, 5},
	} {
		if got := chanIDLen(tc.isupport); got != tc.want {
			t.Errorf("chanIDLen(%v) = %d, want %d", tc.isupport, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"!ABCDEsafe", []string{"!safe", "!!safe"}},
		{"!A1B2Cx", []string{"!x", "!!x"}},
		{"!ABCDE", nil},     // no name after the ID
		{"!abcdesafe", nil}, // no ID: lower case
		{"#ABCDEsafe", nil}, // no safe channel
		{"!AB-DEsafe", nil}, // no ID: a dash
	} {
		if got := safeShortNames(tc.name, 5); !slices.Equal(got, tc.want) {
			t.Errorf("safeShortNames(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
