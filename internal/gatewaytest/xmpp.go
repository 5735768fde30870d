package gatewaytest

import (
	"context"
	"encoding/xml"
	"strings"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/puppet"
)

// CommandResponse is an XEP-0050 ad-hoc command answer, as far as tests
// look at one.
type CommandResponse struct {
	Command struct {
		Node      string `xml:"node,attr"`
		SessionID string `xml:"sessionid,attr"`
		Status    string `xml:"status,attr"`
		Notes     []struct {
			Type string `xml:"type,attr"`
			Text string `xml:",chardata"`
		} `xml:"note"`
		Form struct {
			Instructions []string `xml:"instructions"`
			Fields       []struct {
				Var   string   `xml:"var,attr"`
				Type  string   `xml:"type,attr"`
				Label string   `xml:"label,attr"`
				Value []string `xml:"value"`
			} `xml:"field"`
		} `xml:"x"`
	} `xml:"command"`
	// XML is the whole answer, for failure messages.
	XML string `xml:"-"`
}

// Field returns a form field's type and values, and whether it is there.
func (r CommandResponse) Field(v string) (typ string, values []string, ok bool) {
	for _, f := range r.Command.Form.Fields {
		if f.Var == v {
			return f.Type, f.Value, true
		}
	}
	return "", nil, false
}

// Notes is the answer's notes, one per line, for assertions.
func (r CommandResponse) Notes() string {
	var b strings.Builder
	for _, n := range r.Command.Notes {
		b.WriteString(n.Type + ": " + n.Text + "\n")
	}
	return b.String()
}

// Command sends one ad-hoc command request to the transport: node, the
// session ID of a command under way ("" to start one), the action ("",
// "next", "cancel"...) and the fields submitted as a form (nil = none).
// An error answer comes back in the stanza, with an empty response.
func (g *Gateway) Command(c *xmpptest.Client, node, sid, action string, fields map[string]string) (CommandResponse, xmpptest.Stanza) {
	g.T.Helper()
	var b strings.Builder
	b.WriteString(`<iq type='set' to='` + g.Domain + `'><command xmlns='http://jabber.org/protocol/commands' node='` + Escape(node) + `'`)
	if sid != "" {
		b.WriteString(` sessionid='` + Escape(sid) + `'`)
	}
	if action != "" {
		b.WriteString(` action='` + action + `'`)
	}
	b.WriteString(`>`)
	if fields != nil {
		b.WriteString(`<x xmlns='jabber:x:data' type='submit'>`)
		for k, v := range fields {
			b.WriteString(`<field var='` + Escape(k) + `'><value>` + Escape(v) + `</value></field>`)
		}
		b.WriteString(`</x>`)
	}
	b.WriteString(`</command></iq>`)
	// A login step may wait for the network (a QR code scanned).
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	st, err := c.IQ(ctx, b.String())
	if err != nil {
		g.T.Fatalf("command %s: %v", node, err)
	}
	var r CommandResponse
	if st.Type == "result" {
		if err := st.Unmarshal(&r); err != nil {
			g.T.Fatalf("command %s: %v in %s", node, err, st.XML)
		}
	}
	r.XML = st.XML
	return r, st
}

// RosterItem is one entry of a user's roster.
type RosterItem struct {
	JID    string   `xml:"jid,attr"`
	Name   string   `xml:"name,attr"`
	Sub    string   `xml:"subscription,attr"`
	Groups []string `xml:"group"`
}

// Roster fetches the user's roster as a client does, by JID.
func (g *Gateway) Roster(c *xmpptest.Client) map[string]RosterItem {
	g.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	st, err := c.IQ(ctx, `<iq type='get'><query xmlns='jabber:iq:roster'/></iq>`)
	if err != nil || st.Type != "result" {
		g.T.Fatalf("roster get: %v %s", err, st.XML)
	}
	var q struct {
		Items []RosterItem `xml:"query>item"`
	}
	if err := st.Unmarshal(&q); err != nil {
		g.T.Fatal(err)
	}
	m := make(map[string]RosterItem, len(q.Items))
	for _, it := range q.Items {
		m[it.JID] = it
	}
	return m
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
