package irc

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	least := func(int64) int64 { return 0 }
	most := func(k int64) int64 { return k - 1 }
	for _, tc := range []struct {
		n      int
		lo, hi time.Duration // bounds of the jittered wait
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{6, 16 * time.Second, 32 * time.Second},
		{7, 30 * time.Second, 60 * time.Second}, // 64 s, capped
		{1000, 30 * time.Second, 60 * time.Second},
	} {
		if got := backoff(tc.n, time.Second, time.Minute, least); got != tc.lo {
			t.Errorf("attempt %d: least wait %v, want %v", tc.n, got, tc.lo)
		}
		if got := backoff(tc.n, time.Second, time.Minute, most); got != tc.hi {
			t.Errorf("attempt %d: most wait %v, want %v", tc.n, got, tc.hi)
		}
	}
}

func TestConfig(t *testing.T) {
	cfg, err := parseConfig(nil)
	if err != nil || time.Duration(cfg.ReconnectMin) != DefaultReconnectMin || time.Duration(cfg.ReconnectMax) != DefaultReconnectMax ||
		time.Duration(cfg.ListWait) != DefaultListWait {
		t.Errorf("default config %+v, %v", cfg, err)
	}
	for _, bad := range []string{`{"reconnect_min":"soon"}`, `{"reconnect_min":"-1s"}`, `{"reconnect_min":"2m","reconnect_max":"1m"}`, `{"reconnect_min":5}`,
		`{"list_wait":"0s"}`, `{"list_wait":"-1s"}`, `{"list_wait":0}`, `{"list_wait":null}`} {
		if _, err := parseConfig([]byte(bad)); err == nil {
			t.Errorf("config %s taken", bad)
		}
	}
}

func TestPeople(t *testing.T) {
	p := newPeople(foldName)
	if id := p.id("Erin"); id != "erin" {
		t.Fatalf("id %q", id)
	}
	if id := p.rename("erin", "Erin2"); id != "erin" {
		t.Errorf("renamed id %q", id)
	}
	if n, _ := p.nick("erin"); n != "Erin2" {
		t.Errorf("nick of erin: %q", n)
	}
	// Someone new takes the first nick: another ID.
	if id := p.id("erin"); id != "erin!2" {
		t.Errorf("new erin's id %q", id)
	}
	p.forget("Erin2")
	if _, ok := p.nick("erin"); ok {
		t.Error("a nick that quit is still known")
	}
}
