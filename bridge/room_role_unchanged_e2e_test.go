package bridge_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomRoleToldTwiceOnePresence: a member event that changes nothing
// the client sees (the network telling a role change twice) sends no
// occupant presence. Before, each event sent one, the same again: noise
// to every client, and a client taking the next presence for the change
// it asked read the one before. Here one muc#admin set names Echo One
// twice, by nick and by address, so that the echo network makes it an
// admin twice and tells each; a later change is the point by which
// every presence of the first has come.
func TestRoomRoleToldTwiceOnePresence(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	j := join(t, alice, "a", "")
	last := ""
	for _, o := range j.occupants {
		if o.From == room+"/Echo One" {
			last = canonicalXML(t, o.XML)
		}
	}
	set := func(items string) {
		t.Helper()
		st, err := alice.IQ(ctxT(t), `<iq type='set' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'>`+items+`</query></iq>`)
		if err != nil || st.Type != "result" {
			t.Fatalf("%s: %v %s", items, err, st.XML)
		}
	}
	set(`<item nick='Echo One' affiliation='admin'/><item jid='echo-1@` + domain + `' affiliation='admin'/>`)
	set(`<item nick='Echo One' affiliation='member' role='visitor'/>`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := 0
	for {
		st, err := alice.Next(ctx, func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && s.From == room+"/Echo One" && s.Type == ""
		})
		if err != nil {
			t.Fatalf("no presence of Echo One made a member again: %v", err)
		}
		// Another presence between (its avatar fetched late, its
		// availability) differs from the one before it: it is a change.
		now := canonicalXML(t, st.XML)
		if now == last {
			t.Errorf("Echo One's presence again, unchanged: %s", st.XML)
		}
		last = now
		switch occupantStanding(t, st.XML) {
		case [2]string{"admin", "moderator"}:
			admin++
		case [2]string{"member", "visitor"}:
			if admin == 0 {
				t.Errorf("Echo One made a member again, never shown an admin")
			}
			return
		case [2]string{"member", "participant"}:
			// As at the join, told again before the first change.
		default:
			t.Errorf("Echo One in a standing never asked: %s", st.XML)
		}
	}
}

// canonicalXML is x with each element's attributes sorted: the server
// writes them in no set order, and the same stanza twice may differ.
func canonicalXML(t *testing.T, x string) string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(x))
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return b.String()
		}
		if err != nil {
			t.Fatalf("not XML: %s: %v", x, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			attrs := make([]string, 0, len(tok.Attr))
			for _, a := range tok.Attr {
				attrs = append(attrs, fmt.Sprintf("%s:%s=%q", a.Name.Space, a.Name.Local, a.Value))
			}
			slices.Sort(attrs)
			fmt.Fprintf(&b, "<%s:%s %s>", tok.Name.Space, tok.Name.Local, strings.Join(attrs, " "))
		case xml.EndElement:
			b.WriteString("</>")
		case xml.CharData:
			fmt.Fprintf(&b, "%q", string(tok))
		}
	}
}
