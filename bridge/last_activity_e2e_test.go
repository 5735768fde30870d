package bridge_test

import (
	"strconv"
	"strings"
	"testing"
)

// TestContactLastActivity: XEP-0012 to a contact's JID (Gajim and Dino
// ask it for "last seen") answers from the network's presence: the
// seconds since the last-seen time it gave, with its status as the text
// (echo-2: away, seen ten minutes ago, "Back soon"), 0 for a contact
// online, item-not-found for one the network told nothing of, and
// registration-required to a user without a login; the contacts list
// the feature. It was service-unavailable though the plugin's presence
// carried last_seen_unix.
func TestContactLastActivity(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	nextPresence(t, alice, "echo-2@"+domain, "", nil)
	nextPresence(t, alice, "echo-1@"+domain, "", nil)
	last := func(to string) (seconds, text, cond string) {
		t.Helper()
		st, err := alice.IQ(ctxT(t), `<iq type='get' to='`+to+`'><query xmlns='jabber:iq:last'/></iq>`)
		if err != nil {
			t.Fatalf("last activity of %s: %v", to, err)
		}
		if st.Type == "error" {
			return "", "", st.Err.Condition
		}
		var q struct {
			Query struct {
				Seconds string `xml:"seconds,attr"`
				Text    string `xml:",chardata"`
			} `xml:"jabber:iq:last query"`
		}
		if err := st.Unmarshal(&q); err != nil {
			t.Fatalf("%s: %v", st.XML, err)
		}
		return q.Query.Seconds, q.Query.Text, st.Type
	}
	secs, text, got := last("echo-2@" + domain)
	if n, err := strconv.Atoi(secs); got != "result" || err != nil || n < 600 || n > 3600 || text != "Back soon" {
		t.Errorf("echo-2 (seen ten minutes ago, Back soon): %s seconds=%q text=%q", got, secs, text)
	}
	if secs, _, got := last("echo-1@" + domain); got != "result" || secs != "0" {
		t.Errorf("echo-1 (online): %s seconds=%q, want 0", got, secs)
	}
	if _, _, got := last("nobody@" + domain); got != "item-not-found" {
		t.Errorf("a contact the network told nothing of: %s, want item-not-found", got)
	}
	d, _ := getDiscoInfo(t, alice, "echo-2@"+domain, "")
	if !strings.Contains(strings.Join(d.features(), " "), "jabber:iq:last") {
		t.Errorf("the contact does not list jabber:iq:last: %v", d.features())
	}

	bob := s.user("bob")
	s.waitGateway(bob)
	st, err := bob.IQ(ctxT(t), `<iq type='get' to='echo-2@`+domain+`'><query xmlns='jabber:iq:last'/></iq>`)
	if err != nil || st.Err == nil || st.Err.Condition != "registration-required" {
		t.Errorf("a user without a login: %v %s, want registration-required", err, st.XML)
	}
}
