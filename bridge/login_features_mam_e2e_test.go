package bridge_test

import (
	"strings"
	"testing"
	"time"
)

// TestLoginFeaturesNoScrollBack: a login without history (the echo
// network's "+lite" logins, as a Telegram bot's) has none fetched for a
// room's archive either: a client's MAM query reaching the archive's
// start is answered from the archive alone, without asking the plugin.
// Before, the scroll-back looked only at the transport's features.
func TestLoginFeaturesNoScrollBack(t *testing.T) {
	s := newStack(t, stackOptions{backfill: "50"})
	alice := s.user("alice")
	s.waitGateway(alice)
	if r := register(t, alice, "alice+lite-echo+history300"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	echoID(t, alice, "a1", "hello from a lite login") // connected
	deadline := time.Now().Add(timeout)
	for {
		items, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
		if err == nil && strings.Contains(items.XML, `jid="`+room+`"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the room never appeared in disco#items: %v %s", err, items.XML)
		}
		time.Sleep(50 * time.Millisecond)
	}
	p := queryMAM(t, alice, room, rsmSet(`<max>50</max>`))
	if p.iq.Type != "result" {
		t.Fatalf("MAM query: %s", p.iq.XML)
	}
	if c := s.logs.Count("scroll-back history requested"); c != 0 || len(p.msgs) != 0 {
		t.Errorf("a lite login's room: history requested %d times, %d messages in the page; want none", c, len(p.msgs))
	}
}
