package bridge

import (
	"testing"

	"passerelle.im/passerelle/bridge/wire"
)

// TestStripFallback: a reply's fallback quote (XEP-0428 range, in
// characters) is cut from the body; a range that is not plain decimal
// numbers, or lies outside the body, leaves the body whole (fmt.Sscan
// took "0x3" for 3 and "3abc" for 3, cutting text the client never
// marked).
func TestStripFallback(t *testing.T) {
	for _, c := range []struct{ start, end, want string }{
		{"0", "7", "réponse"},
		{"0", "0x7", "> cité\nréponse"},
		{"0", "7abc", "> cité\nréponse"},
		{"0 ", "7", "> cité\nréponse"},
		{"0", "99", "> cité\nréponse"},
		{"5", "2", "> cité\nréponse"},
		{"-1", "8", "> cité\nréponse"},
	} {
		st, err := wire.Parse(`<message><body>&gt; cité` + "\n" + `réponse</body><fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='` + c.start + `' end='` + c.end + `'/></fallback></message>`)
		if err != nil {
			t.Fatal(err)
		}
		if got := stripFallback(st, "> cité\nréponse", nsReply); got != c.want {
			t.Errorf("range %s-%s: %q, want %q", c.start, c.end, got, c.want)
		}
	}
}
