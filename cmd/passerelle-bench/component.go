package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// rawDomain is the second component of the bench's Prosody: a minimal
// echoing component with no gateway behind it. It measures what the XMPP
// server itself spends on the component route (client -> server ->
// component -> server -> client), the floor under any gateway.
const rawDomain = "raw.localhost"

// dialComponent opens an XEP-0114 session for domain and returns it as a
// client (same framer and writer as the c2s sessions).
func dialComponent(ctx context.Context, addr, domain, secret string) (*client, error) {
	c, err := dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	c.jid = domain
	conn := c.conn
	fail := func(err error) (*client, error) {
		conn.Close()
		return nil, fmt.Errorf("component %s: %w", domain, err)
	}
	if err := c.write(`<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='` + domain + `'>`); err != nil {
		return fail(err)
	}
	// The handshake hashes the stream id from the server's header.
	var id string
	for id == "" {
		data := c.fr.buf[c.fr.off:]
		if i := bytes.Index(data, []byte("<stream:stream")); i >= 0 {
			if j := bytes.IndexByte(data[i:], '>'); j >= 0 {
				id = attr(data[i:i+j+1], "id")
				c.fr.off += i + j + 1
				if id == "" {
					return fail(fmt.Errorf("no stream id in %.200s", data[i:i+j+1]))
				}
				break
			}
		}
		if err := c.fr.fill(); err != nil {
			return fail(fmt.Errorf("read stream header: %w", err))
		}
	}
	sum := sha1.Sum([]byte(id + secret))
	if err := c.write(`<handshake>` + hex.EncodeToString(sum[:]) + `</handshake>`); err != nil {
		return fail(err)
	}
	res, err := c.fr.next()
	if err != nil {
		return fail(err)
	}
	if !bytes.HasPrefix(res, []byte("<handshake")) {
		return fail(fmt.Errorf("handshake refused: %.200s", res))
	}
	_ = conn.SetDeadline(time.Time{})
	return c, nil
}

// shapedPrefix starts the local part of the component's JIDs that answer
// in the gateway's shape (the shaped path); the others answer plainly.
const shapedPrefix = "s"

// componentEchoer answers every message to any JID of its domain with its
// body, from that JID to the sender, as the echoer does for the baseline.
// To a JID starting with shapedPrefix the answer has the shape of the
// gateway's messages (to the bare JID, an id, an origin-id and a
// markable): the shaped path then measures what that shape costs the
// XMPP server, the ceiling for a gateway that would cost nothing.
func componentEchoer(c *client) error {
	n := 0
	return answer(c, func(b *bytes.Buffer, el, body []byte) {
		if strings.HasPrefix(attr(el, "to"), shapedPrefix) {
			n++
			gatewayAnswer(b, el, body, n)
			return
		}
		b.WriteString(`<message type='chat' from='`)
		b.WriteString(attr(el, "to"))
		b.WriteString(`' to='`)
		b.WriteString(attr(el, "from"))
		b.WriteString(`'><body>`)
		b.Write(body)
		b.WriteString(`</body></message>`)
	})
}

// gatewayAnswer renders the answer as the gateway renders a contact's
// message (bridge/deliver.go), with the n-th ID.
func gatewayAnswer(b *bytes.Buffer, el, body []byte, n int) {
	to := attr(el, "from")
	if i := strings.IndexByte(to, '/'); i >= 0 {
		to = to[:i]
	}
	id := fmt.Sprintf("r%08d", n)
	b.WriteString(`<message from="`)
	b.WriteString(attr(el, "to"))
	b.WriteString(`" to="`)
	b.WriteString(to)
	b.WriteString(`" type="chat" id="`)
	b.WriteString(id)
	b.WriteString(`"><body>`)
	b.Write(body)
	b.WriteString(`</body><origin-id xmlns="urn:xmpp:sid:0" id="`)
	b.WriteString(id)
	b.WriteString(`"/><markable xmlns="urn:xmpp:chat-markers:0"/></message>`)
}
