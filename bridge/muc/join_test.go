package muc

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
)

func mustParse(t *testing.T, s string) *wire.Stanza {
	t.Helper()
	st, err := wire.Parse(s)
	if err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	return st
}

func joinOf(t *testing.T, x string) (Join, error) {
	t.Helper()
	return ParseJoin(mustParse(t, `<presence xmlns="jabber:client" from="u@h/r" to="g@wa.h/nick">`+x+`</presence>`))
}

func TestParseJoin(t *testing.T) {
	j, err := joinOf(t, `<x xmlns="http://jabber.org/protocol/muc"><history maxchars="65000" maxstanzas="20" seconds="180" since="1970-01-01T00:00:00Z"/><password>cauldronburn</password></x>`)
	if err != nil {
		t.Fatal(err)
	}
	want := Join{MUC: true, Password: "cauldronburn", History: History{Given: true, MaxChars: 65000, MaxStanzas: 20, Seconds: 180, Since: time.Unix(0, 0).UTC()}}
	if j != want {
		t.Errorf("join %+v, want %+v", j, want)
	}
	// No <x/>: a presence update, not a join.
	if j, err := joinOf(t, `<show>away</show>`); err != nil || j.MUC {
		t.Errorf("without x: %+v, %v", j, err)
	}
	// The muc#user namespace is not a join.
	if j, _ := joinOf(t, `<x xmlns="http://jabber.org/protocol/muc#user"/>`); j.MUC {
		t.Error("muc#user x taken for a join")
	}
	// A join without history: the room's default.
	j, err = joinOf(t, `<x xmlns="http://jabber.org/protocol/muc"/>`)
	if err != nil || !j.MUC || j.History.Given || j.History.Limit() != DefaultHistory {
		t.Errorf("bare join: %+v, %v, limit %d", j, err, j.History.Limit())
	}
	// Since with an offset and fraction.
	j, err = joinOf(t, `<x xmlns="http://jabber.org/protocol/muc"><history since="2026-12-01T12:00:00.5+02:00"/></x>`)
	if err != nil || !j.History.Since.Equal(time.Date(2026, 12, 1, 10, 0, 0, 5e8, time.UTC)) {
		t.Errorf("since with offset: %+v, %v", j.History, err)
	}
}

// TestParseJoinMalformed: each malformed history attribute is reported
// by name and left out; the rest of the join is read.
func TestParseJoinMalformed(t *testing.T) {
	j, err := joinOf(t, `<x xmlns="http://jabber.org/protocol/muc"><history maxchars="-1" maxstanzas="ten" seconds="1.5" since="yesterday"/><password>p</password></x>`)
	if !errors.Is(err, ErrBadJoin) {
		t.Fatalf("err %v, want ErrBadJoin", err)
	}
	for _, a := range []string{"maxchars", "maxstanzas", "seconds", "since"} {
		if !strings.Contains(err.Error(), a) {
			t.Errorf("error does not name %s: %v", a, err)
		}
	}
	if !j.MUC || j.Password != "p" || !j.History.Given || j.History.MaxChars != -1 || j.History.MaxStanzas != -1 || j.History.Seconds != -1 || !j.History.Since.IsZero() {
		t.Errorf("join read around the bad attributes: %+v", j)
	}
	// One bad attribute does not lose the good ones.
	j, err = joinOf(t, `<x xmlns="http://jabber.org/protocol/muc"><history maxstanzas="5" maxchars=""/></x>`)
	if !errors.Is(err, ErrBadJoin) || j.History.MaxStanzas != 5 || j.History.MaxChars != -1 {
		t.Errorf("empty maxchars: %+v, %v", j.History, err)
	}
	// Huge counts are well formed: as good as unbounded, capped.
	j, err = joinOf(t, `<x xmlns="http://jabber.org/protocol/muc"><history maxstanzas="99999999999999999999999" seconds="99999999999"/></x>`)
	if err != nil || j.History.Limit() != MaxHistory || j.History.Seconds != math.MaxInt32 {
		t.Errorf("huge values: %+v, %v", j.History, err)
	}
	if o := j.History.Oldest(time.Now()); o.IsZero() || o.Year() < 1900 {
		t.Errorf("oldest of huge seconds: %v", o)
	}
}

func items(n int, base time.Time, body string) []Item {
	out := make([]Item, n)
	for i := range out {
		out[i] = Item{Time: base.Add(time.Duration(i) * time.Minute), Stanza: []byte("<message><body>" + body + "</body></message>")}
	}
	return out
}

func TestHistorySelect(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	base := now.Add(-100 * time.Minute) // items at base, base+1m, ... base+99m
	its := items(100, base, "hé")       // 27 characters, 28 bytes each
	per := len([]rune(string(its[0].Stanza)))
	none := noHistory()
	cases := []struct {
		name string
		h    History
		want int // how many of the newest are sent
	}{
		{"no history element", none, DefaultHistory},
		{"maxstanzas", History{Given: true, MaxStanzas: 5, MaxChars: -1, Seconds: -1}, 5},
		{"maxstanzas 0", History{Given: true, MaxStanzas: 0, MaxChars: -1, Seconds: -1}, 0},
		{"maxchars 0", History{Given: true, MaxStanzas: -1, MaxChars: 0, Seconds: -1}, 0},
		{"maxchars counts characters", History{Given: true, MaxStanzas: -1, MaxChars: 3*per + per - 1, Seconds: -1}, 3},
		{"maxchars exact", History{Given: true, MaxStanzas: -1, MaxChars: 4 * per, Seconds: -1}, 4},
		{"maxchars below one stanza", History{Given: true, MaxStanzas: -1, MaxChars: per - 1, Seconds: -1}, 0},
		{"seconds", History{Given: true, MaxStanzas: -1, MaxChars: -1, Seconds: 10 * 60}, 10},
		{"since", History{Given: true, MaxStanzas: -1, MaxChars: -1, Seconds: -1, Since: base.Add(95 * time.Minute)}, 5},
		{"since in the future", History{Given: true, MaxStanzas: -1, MaxChars: -1, Seconds: -1, Since: now.Add(time.Hour)}, 0},
		{"smallest of all", History{Given: true, MaxStanzas: 8, MaxChars: 6 * per, Seconds: 30 * 60, Since: base.Add(93 * time.Minute)}, 6},
		{"given, unbounded: capped", History{Given: true, MaxStanzas: -1, MaxChars: -1, Seconds: -1}, 100},
	}
	for _, c := range cases {
		from := c.h.Select(its, now)
		if got := len(its) - from; got != c.want {
			t.Errorf("%s: %d sent, want %d", c.name, got, c.want)
		}
	}
	if got := noHistory().Select(nil, now); got != 0 {
		t.Errorf("empty archive: %d", got)
	}
	many := items(1000, now.Add(-1000*time.Minute), "x")
	h := History{Given: true, MaxStanzas: 100000, MaxChars: -1, Seconds: -1}
	if got := len(many) - h.Select(many, now); got != MaxHistory {
		t.Errorf("cap: %d sent, want %d", got, MaxHistory)
	}
}
