package gatewaytest

import (
	"context"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/puppet"
)

// CommandResponse is an XEP-0050 ad-hoc command answer.
type CommandResponse = xmpptest.CommandResponse

// RosterItem is one entry of a user's roster.
type RosterItem = xmpptest.RosterItem

// Command sends one ad-hoc command request to the transport (see
// xmpptest.Client.Command); a login step may wait for the network (a QR
// code scanned), so it waits up to 90 s.
func (g *Gateway) Command(c *xmpptest.Client, node, sid, action string, fields map[string]string) (CommandResponse, xmpptest.Stanza) {
	g.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r, st, err := c.Command(ctx, g.Domain, node, sid, action, fields)
	if err != nil {
		g.T.Fatal(err)
	}
	return r, st
}

// Roster fetches the user's roster as a client does, by JID.
func (g *Gateway) Roster(c *xmpptest.Client) map[string]RosterItem {
	g.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	r, err := c.Roster(ctx)
	if err != nil {
		g.T.Fatal(err)
	}
	return r
}

// WaitRoster polls the roster until ok accepts it; what says what was
// awaited, for the failure message.
func (g *Gateway) WaitRoster(c *xmpptest.Client, what string, ok func(map[string]RosterItem) bool) map[string]RosterItem {
	g.T.Helper()
	deadline := time.Now().Add(Timeout)
	for {
		r := g.Roster(c)
		if ok(r) {
			return r
		}
		if time.Now().After(deadline) {
			g.T.Fatalf("the roster never %s: %v", what, r)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// SendChat sends a chat message with an origin-id to a JID and returns
// the message's id.
func (g *Gateway) SendChat(c *xmpptest.Client, to, body string) string {
	g.T.Helper()
	id := c.NewID()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	err := c.SendRaw(ctx, `<message type='chat' id='`+id+`' to='`+Escape(to)+`'><body>`+Escape(body)+`</body><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`)
	if err != nil {
		g.T.Fatalf("send: %v", err)
	}
	return id
}

// NextMessage waits for a message from this bare JID with a body, or an
// error; receipts, markers and chat states are passed over (and stay
// queued for a later Next).
func (g *Gateway) NextMessage(c *xmpptest.Client, from string) xmpptest.Stanza {
	g.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	st, err := c.Next(ctx, func(s xmpptest.Stanza) bool {
		return s.Name == "message" && Bare(s.From) == from && (s.Body != "" || s.Type == "error")
	})
	if err != nil {
		g.T.Fatalf("no message from %s: %v", from, err)
	}
	return st
}

// Next waits for the next stanza match accepts.
func (g *Gateway) Next(c *xmpptest.Client, what string, match func(xmpptest.Stanza) bool) xmpptest.Stanza {
	g.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	st, err := c.Next(ctx, match)
	if err != nil {
		g.T.Fatalf("no %s: %v", what, err)
	}
	return st
}

// RoomArchive queries a room's whole archive by MAM (XEP-0313) and
// returns its result messages, oldest first; ok is false when the query
// is refused (a room the gateway does not know, as after a restart).
func RoomArchive(t testing.TB, c *xmpptest.Client, room string) (results []xmpptest.Stanza, ok bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	qid := "q-" + c.NewID()
	iq, err := c.IQ(ctx, `<iq type='set' to='`+room+`'><query xmlns='urn:xmpp:mam:2' queryid='`+qid+`'/></iq>`)
	if err != nil {
		t.Fatalf("MAM query: %v", err)
	}
	if iq.Type != "result" {
		return nil, false
	}
	done, stop := context.WithCancel(context.Background())
	stop() // only what is queued already: results come before the iq's
	for {
		st, err := c.Next(done, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && strings.Contains(s.XML, `queryid="`+qid+`"`)
		})
		if err != nil {
			return results, true
		}
		results = append(results, st)
	}
}

// Escape escapes s for XML text or a quoted attribute.
func Escape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// Bare is a JID without its resource.
func Bare(s string) string {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return s[:i]
	}
	return s
}

// JID is the XMPP address the gateway gives a network ID of this
// transport: a contact's user ID or a group's chat ID (puppet.JID).
func (g *Gateway) JID(networkID string) string {
	g.T.Helper()
	j, err := puppet.JID(networkID, g.Domain)
	if err != nil {
		g.T.Fatalf("no JID for %q: %v", networkID, err)
	}
	return j.String()
}
