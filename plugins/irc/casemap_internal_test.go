package irc

import "testing"

// Each CASEMAPPING folds its own characters; rfc1459, the default, is
// what every ID was before the plugin read it, and stays so.
func TestCasemapFold(t *testing.T) {
	for _, tc := range []struct {
		announced, name, want string
	}{
		{"", "Dave[m]\\~", "dave{m}|^"},
		{"rfc1459", "#Go[x]~", "#go{x}^"},
		{"unknown-map", "Dave[m]", "dave{m}"},
		{"rfc1459-strict", "Dave[m]\\~", "dave{m}|~"},
		{"ascii", "Dave[m]\\~", "dave[m]\\~"},
		{"ASCII", "#ÉTÉ[x]", "#ÉtÉ[x]"},
		{"rfc8265", "#ÉTÉ[x]", "#été[x]"},
		{"rfc7613", "Dave[m]", "dave[m]"},
		{"utf8", "#Caf\xc9", "#caf\xc9"}, // not UTF-8: A-Z only, bytes kept
	} {
		cm := parseCasemap(tc.announced)
		if got := cm.fold(tc.name); got != tc.want {
			t.Errorf("%q folds %q to %q, want %q", tc.announced, tc.name, got, tc.want)
		}
		if got := cm.fold(cm.fold(tc.name)); got != cm.fold(tc.name) {
			t.Errorf("%q: an ID is not its own ID: %q", tc.announced, got)
		}
		if cm != parseCasemap(cm.String()) {
			t.Errorf("%q: kept as %q, read back as another", tc.announced, cm.String())
		}
	}
}
