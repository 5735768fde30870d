package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
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

// componentEchoer answers every message to any JID of its domain with its
// body, from that JID to the sender, as the echoer does for the baseline.
func componentEchoer(c *client) error {
	return answer(c, func(b *bytes.Buffer, el, body []byte) {
		b.WriteString(`<message type='chat' from='`)
		b.WriteString(attr(el, "to"))
		b.WriteString(`' to='`)
		b.WriteString(attr(el, "from"))
		b.WriteString(`'><body>`)
		b.Write(body)
		b.WriteString(`</body></message>`)
	})
}
