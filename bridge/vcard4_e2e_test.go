package bridge_test

import (
	"strings"
	"testing"
)

// TestContactVCard4: a contact's XEP-0292 vCard4 node (Dino, Movim,
// Cheogram and Gajim read a profile there) holds what its vCard-temp
// says: the name, and the network's identifier as a note; a user without
// a login is registration-required. It was item-not-found.
func TestContactVCard4(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	echoOK(t, alice, "hello", timeout)
	q := `<iq type='get' to='echo-1@` + domain + `'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:vcard4'/></pubsub></iq>`
	st, err := alice.IQ(ctxT(t), q)
	if err != nil || st.Type != "result" {
		t.Fatalf("vCard4 of echo-1: %v %s", err, st.XML)
	}
	var r struct {
		Items struct {
			Node string `xml:"node,attr"`
			Item []struct {
				ID    string `xml:"id,attr"`
				VCard struct {
					FN   string `xml:"fn>text"`
					Note string `xml:"note>text"`
				} `xml:"urn:ietf:params:xml:ns:vcard-4.0 vcard"`
			} `xml:"item"`
		} `xml:"http://jabber.org/protocol/pubsub pubsub>items"`
	}
	if err := st.Unmarshal(&r); err != nil {
		t.Fatalf("%s: %v", st.XML, err)
	}
	if r.Items.Node != "urn:xmpp:vcard4" || len(r.Items.Item) != 1 {
		t.Fatalf("want one item on urn:xmpp:vcard4: %s", st.XML)
	}
	v := r.Items.Item[0].VCard
	if v.FN != "Echo One" || !strings.Contains(v.Note, "echo-1") {
		t.Errorf("vCard4 fn %q note %q, want Echo One and the ID: %s", v.FN, v.Note, st.XML)
	}

	bob := s.user("bob")
	s.waitGateway(bob)
	if st, err := bob.IQ(ctxT(t), q); err != nil || st.Err == nil || st.Err.Condition != "registration-required" {
		t.Errorf("a user without a login: %v %s, want registration-required", err, st.XML)
	}
}
