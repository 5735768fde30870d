package bridge_test

import (
	"crypto/sha1"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// discoInfo is a disco#info answer, as far as the tests look.
type discoInfo struct {
	Node       string `xml:"node,attr"`
	Identities []struct {
		Category string `xml:"category,attr"`
		Type     string `xml:"type,attr"`
		Lang     string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
		Name     string `xml:"name,attr"`
	} `xml:"identity"`
	Features []struct {
		Var string `xml:"var,attr"`
	} `xml:"feature"`
}

func (d discoInfo) features() []string {
	var fs []string
	for _, f := range d.Features {
		fs = append(fs, f.Var)
	}
	slices.Sort(fs)
	return fs
}

// ver is the XEP-0115 §5.1 verification string of d (no extended forms).
func (d discoInfo) ver() string {
	var ids []string
	for _, id := range d.Identities {
		ids = append(ids, id.Category+"/"+id.Type+"/"+id.Lang+"/"+id.Name)
	}
	slices.Sort(ids)
	var s strings.Builder
	for _, id := range ids {
		s.WriteString(id + "<")
	}
	for _, f := range d.features() {
		s.WriteString(f + "<")
	}
	sum := sha1.Sum([]byte(s.String()))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func getDiscoInfo(t *testing.T, c *xmpptest.Client, to, node string) (discoInfo, xmpptest.Stanza) {
	t.Helper()
	q := `<query xmlns='http://jabber.org/protocol/disco#info'/>`
	if node != "" {
		q = `<query xmlns='http://jabber.org/protocol/disco#info' node='` + xmlEscape(node) + `'/>`
	}
	st, err := c.IQ(ctxT(t), `<iq type='get' to='`+to+`'>`+q+`</iq>`)
	if err != nil {
		t.Fatalf("disco#info %s: %v", to, err)
	}
	var d struct {
		Query discoInfo `xml:"query"`
	}
	if st.Type == "result" {
		if err := st.Unmarshal(&d); err != nil {
			t.Fatal(err)
		}
	}
	return d.Query, st
}

// TestContactCaps: a contact advertises what its transport can do (the
// echo plugin declares every message feature), in disco#info and as
// XEP-0115 caps in its presence, whose ver matches that disco#info;
// disco#info on node#ver answers the same. (Contacts listed none of the
// message features and had no caps.)
func TestContactCaps(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	p := nextPresence(t, alice, "echo-2@"+domain, "", nil)

	d, st := getDiscoInfo(t, alice, "echo-2@"+domain, "")
	if st.Type != "result" {
		t.Fatalf("disco#info: %s", st.XML)
	}
	want := []string{
		"http://jabber.org/protocol/caps",
		"http://jabber.org/protocol/chatstates",
		"http://jabber.org/protocol/disco#info",
		"jabber:iq:last",
		"jabber:iq:version",
		"jabber:x:oob",
		"urn:xmpp:avatar:metadata",
		"urn:xmpp:chat-markers:0",
		"urn:xmpp:message-correct:0",
		"urn:xmpp:message-retract:1",
		"urn:xmpp:ping",
		"urn:xmpp:reactions:0",
		"urn:xmpp:receipts",
		"urn:xmpp:reply:0",
		"vcard-temp",
	}
	if got := d.features(); !slices.Equal(got, want) {
		t.Errorf("contact features:\n%v\nwant\n%v", got, want)
	}
	// Listed, since the contact answers it (XEP-0092 §2).
	if v, err := alice.IQ(ctxT(t), `<iq type='get' to='echo-2@`+domain+`'><query xmlns='jabber:iq:version'/></iq>`); err != nil || v.Type != "result" {
		t.Errorf("the contact's software version: %v %s", err, v.XML)
	}

	var c struct {
		C struct {
			Hash string `xml:"hash,attr"`
			Node string `xml:"node,attr"`
			Ver  string `xml:"ver,attr"`
		} `xml:"http://jabber.org/protocol/caps c"`
	}
	if err := p.Unmarshal(&c); err != nil {
		t.Fatal(err)
	}
	if c.C.Hash != "sha-1" || c.C.Node == "" || c.C.Ver != d.ver() {
		t.Fatalf("presence caps %+v, want sha-1 with ver %s: %s", c.C, d.ver(), p.XML)
	}
	dn, st := getDiscoInfo(t, alice, "echo-1@"+domain, c.C.Node+"#"+c.C.Ver)
	if st.Type != "result" || dn.Node != c.C.Node+"#"+c.C.Ver || dn.ver() != c.C.Ver {
		t.Errorf("disco#info on node#ver: %s", st.XML)
	}
	if _, st := getDiscoInfo(t, alice, "echo-1@"+domain, c.C.Node+"#wrong"); st.Err == nil || st.Err.Condition != "item-not-found" {
		t.Errorf("disco#info on another node: want item-not-found, got %s", st.XML)
	}
}
