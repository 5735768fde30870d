package bridge

import "testing"

// TestFileMessageBase: only the ids chatOut.message gives a network
// message's files map back to the message's own id.
func TestFileMessageBase(t *testing.T) {
	base := xmppIDFor("login", "chat", "remote")
	for _, c := range []struct {
		id, want string
		ok       bool
	}{
		{base + "-1", base, true},
		{base + "-12", base, true},
		{base, "", false},
		{base + "-", "", false},
		{base + "-0", "", false},
		{base + "-01", "", false},
		{base + "-1a", "", false},
		{base + "x1", "", false},
		{"xx" + base[2:] + "-1", "", false},
		{"client-id-1", "", false},
	} {
		got, ok := fileMessageBase(c.id)
		if got != c.want || ok != c.ok {
			t.Errorf("fileMessageBase(%q) = %q, %v; want %q, %v", c.id, got, ok, c.want, c.ok)
		}
	}
}
