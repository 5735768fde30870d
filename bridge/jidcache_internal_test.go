package bridge

import (
	"errors"
	"testing"

	"mellium.im/xmpp/jid"
)

func TestJIDCache(t *testing.T) {
	var c jidCache
	calls := 0
	parse := func(s string) func() (jid.JID, error) {
		return func() (jid.JID, error) { calls++; return jid.Parse(s) }
	}
	for range 3 {
		j, err := c.get("u@example.org/r", parse("u@example.org/r"))
		if err != nil || j.String() != "u@example.org/r" {
			t.Fatalf("get = %v, %v", j, err)
		}
	}
	if calls != 1 {
		t.Errorf("a cached JID was parsed %d times, want once", calls)
	}
	// A malformed JID is an error each time and never cached.
	for range 2 {
		if _, err := c.get("@@", parse("@@")); err == nil {
			t.Fatal("malformed JID accepted")
		}
	}
	if calls != 3 {
		t.Errorf("malformed JID parsed %d times in all, want 2 more than the valid one", calls)
	}
	// A full cache starts afresh instead of growing.
	for i := range jidCacheMax + 10 {
		k := string(rune('a'+i%26)) + string(rune(i)) + "@example.org"
		if _, err := c.get(k, func() (jid.JID, error) { return jid.JID{}, nil }); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.m); n > jidCacheMax {
		t.Errorf("cache holds %d entries, more than its bound %d", n, jidCacheMax)
	}
	boom := errors.New("boom")
	if _, err := c.get("x@y", func() (jid.JID, error) { return jid.JID{}, boom }); !errors.Is(err, boom) {
		t.Errorf("parse error not returned: %v", err)
	}
}
