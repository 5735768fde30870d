package bridge_test

import (
	"testing"
)

// TestClientIQsAnswered: the queries XMPP clients (Conversations, Gajim,
// Dino, Monal) send a contact's JID and the gateway's, beyond those
// other tests read the answers of (disco, vCard, avatars, ping,
// version), each get an answer of the right type: a namespace neither
// serves (XEP-0202 time, XEP-0292's vCard4 IQ,
// an unknown one, a set of a query only read) is service-unavailable
// (RFC 6120 §8.4), a PEP node a contact has not item-not-found, an iq
// without a child bad-request (§8.2.3); never silence, which a client
// waits out.
func TestClientIQsAnswered(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	contact := "echo-1@" + domain
	for _, tc := range []struct {
		to, iq, want string
	}{
		{domain, `type='get'><time xmlns='urn:xmpp:time'/>`, "service-unavailable"},
		{contact, `type='get'><time xmlns='urn:xmpp:time'/>`, "service-unavailable"},
		{domain, `type='get'><query xmlns='jabber:iq:last'/>`, "result"}, // uptime (last_activity.go)
		{contact + "/phone", `type='get'><query xmlns='jabber:iq:last'/>`, "service-unavailable"},
		{contact, `type='get'><vcard xmlns='urn:ietf:params:xml:ns:vcard-4.0'/>`, "service-unavailable"},
		{contact, `type='get'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:example'/></pubsub>`, "item-not-found"},
		{domain, `type='get'><vCard xmlns='vcard-temp'/>`, "service-unavailable"},
		{domain, `type='get'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:avatar:metadata'/></pubsub>`, "service-unavailable"},
		{domain, `type='set'><query xmlns='urn:example:nothing'/>`, "service-unavailable"},
		{contact, `type='set'><query xmlns='urn:example:nothing'/>`, "service-unavailable"},
		{contact, `type='set'><ping xmlns='urn:xmpp:ping'/>`, "service-unavailable"},
		{domain, `type='set'><query xmlns='jabber:iq:version'/>`, "service-unavailable"},
		{domain, `type='get'>`, "bad-request"},
		{contact, `type='get'>`, "bad-request"},
		{contact, `type='get'><query xmlns='http://jabber.org/protocol/disco#items'/>`, "result"},
		{contact + "/phone", `type='get'><query xmlns='jabber:iq:version'/>`, "result"},
	} {
		st, err := alice.IQ(ctxT(t), `<iq to='`+tc.to+`' `+tc.iq+`</iq>`)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.to, tc.iq, err)
		}
		got := st.Type
		if st.Type == "error" && st.Err != nil {
			got = st.Err.Condition
		}
		if got != tc.want {
			t.Errorf("%s %s: %s, want %s", tc.to, tc.iq, st.XML, tc.want)
		}
	}
}
