package bridge_test

import (
	"strconv"
	"strings"
	"testing"
)

// TestLastActivityGatewayAndFullJID: XEP-0012 to the gateway's own JID
// is its uptime (§5, as a server answers), listed in its disco#info, a
// whole number of seconds; to a contact's full JID, a resource no
// contact has (their presence comes from the bare JID), it is
// service-unavailable (RFC 6121 §8.5.3.2.1) with a text naming the bare
// JID to ask.
func TestLastActivityGatewayAndFullJID(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	nextPresence(t, alice, "echo-1@"+domain, "", nil)

	st, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='jabber:iq:last'/></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	var q struct {
		Query struct {
			Seconds string `xml:"seconds,attr"`
		} `xml:"jabber:iq:last query"`
	}
	if err := st.Unmarshal(&q); err != nil || st.Type != "result" {
		t.Fatalf("the gateway's last activity (uptime): %v %s", err, st.XML)
	}
	if n, err := strconv.Atoi(q.Query.Seconds); err != nil || n < 0 {
		t.Errorf("the gateway's uptime: seconds=%q", q.Query.Seconds)
	}
	d, _ := getDiscoInfo(t, alice, domain, "")
	if !strings.Contains(strings.Join(d.features(), " "), "jabber:iq:last") {
		t.Errorf("the gateway does not list jabber:iq:last: %v", d.features())
	}

	st, err = alice.IQ(ctxT(t), `<iq type='get' to='echo-1@`+domain+`/phone'><query xmlns='jabber:iq:last'/></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	if st.Err == nil || st.Err.Condition != "service-unavailable" || !strings.Contains(st.Err.Text, "echo-1@"+domain) {
		t.Errorf("a contact's full JID: %s, want service-unavailable naming the bare JID", st.XML)
	}
}
