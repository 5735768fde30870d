package xmpptest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"mellium.im/xmpp/jid"
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

// Command sends one ad-hoc command request to the JID to: node, the
// session ID of a command under way ("" to start one), the action ("",
// "next", "cancel"...) and the fields submitted as a form (nil = none).
// An error answer comes back in the stanza, with an empty response.
func (c *Client) Command(ctx context.Context, to, node, sid, action string, fields map[string]string) (CommandResponse, Stanza, error) {
	var multi map[string][]string
	if fields != nil {
		multi = make(map[string][]string, len(fields))
		for k, v := range fields {
			multi[k] = []string{v}
		}
	}
	return c.CommandForm(ctx, to, node, sid, action, multi)
}

// CommandForm is Command with fields of several values (list-multi,
// jid-multi).
func (c *Client) CommandForm(ctx context.Context, to, node, sid, action string, fields map[string][]string) (CommandResponse, Stanza, error) {
	var b strings.Builder
	b.WriteString(`<iq type='set' to='` + escapeText(to) + `'><command xmlns='http://jabber.org/protocol/commands' node='` + escapeText(node) + `'`)
	if sid != "" {
		b.WriteString(` sessionid='` + escapeText(sid) + `'`)
	}
	if action != "" {
		b.WriteString(` action='` + escapeText(action) + `'`)
	}
	b.WriteString(`>`)
	if fields != nil {
		b.WriteString(`<x xmlns='jabber:x:data' type='submit'>`)
		for k, vs := range fields {
			b.WriteString(`<field var='` + escapeText(k) + `'>`)
			for _, v := range vs {
				b.WriteString(`<value>` + escapeText(v) + `</value>`)
			}
			b.WriteString(`</field>`)
		}
		b.WriteString(`</x>`)
	}
	b.WriteString(`</command></iq>`)
	var r CommandResponse
	st, err := c.IQ(ctx, b.String())
	if err != nil {
		return r, st, fmt.Errorf("command %s: %w", node, err)
	}
	if st.Type == "result" {
		if err := st.Unmarshal(&r); err != nil {
			return r, st, fmt.Errorf("command %s: %w in %s", node, err, st.XML)
		}
	}
	r.XML = st.XML
	return r, st, nil
}

// RosterItem is one entry of a user's roster.
type RosterItem struct {
	JID    string   `xml:"jid,attr"`
	Name   string   `xml:"name,attr"`
	Sub    string   `xml:"subscription,attr"`
	Groups []string `xml:"group"`
}

// Roster fetches the user's roster as a client does, by JID.
func (c *Client) Roster(ctx context.Context) (map[string]RosterItem, error) {
	st, err := c.IQ(ctx, `<iq type='get'><query xmlns='jabber:iq:roster'/></iq>`)
	if err != nil {
		return nil, fmt.Errorf("roster get: %w", err)
	}
	if st.Type != "result" {
		return nil, fmt.Errorf("roster get: %s", st.XML)
	}
	var q struct {
		Items []RosterItem `xml:"query>item"`
	}
	if err := st.Unmarshal(&q); err != nil {
		return nil, fmt.Errorf("roster get: %w", err)
	}
	m := make(map[string]RosterItem, len(q.Items))
	for _, it := range q.Items {
		m[it.JID] = it
	}
	return m, nil
}

// escapeText escapes s for XML text or a quoted attribute.
func escapeText(s string) string {
	var b strings.Builder
	escape(&b, s)
	return b.String()
}

// WaitDiscoInfo asks the JID to for disco#info until it answers with a
// result (a component whose link to the server is up) or ctx ends.
func (c *Client) WaitDiscoInfo(ctx context.Context, to string) error {
	for {
		// A server answers at once for a component that is not linked;
		// the bound is for an answer lost, and leaves a slow machine
		// (CI: every package at once on 2 cores) time to answer.
		ask, cancel := context.WithTimeout(ctx, 10*time.Second)
		st, err := c.IQ(ask, `<iq type='get' to='`+escapeText(to)+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
		cancel()
		if err == nil && st.Type == "result" {
			return nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("answered %s", st.XML)
			}
			return fmt.Errorf("%s never answered disco#info: %w", to, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// DialOnline logs j in as Dial does and sends initial presence, as a real
// client does: without it the server keeps messages to the bare JID from
// the session.
func DialOnline(ctx context.Context, addr string, j jid.JID, password string) (*Client, error) {
	c, err := Dial(ctx, addr, j, password)
	if err != nil {
		return nil, err
	}
	if err := c.SendPresence(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("xmpptest: initial presence of %s: %w", j, err)
	}
	return c, nil
}
