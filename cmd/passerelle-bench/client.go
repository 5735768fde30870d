package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// client is a lean c2s session: it logs in with SASL PLAIN on a plain
// loopback connection (the test server allows it), binds a resource and
// then frames the stream's top-level elements by hand. A load generator
// must cost far less CPU than what it measures: encoding/xml would spend
// 15 to 30 µs per stanza on the same two cores as the server and the
// gateway, so stanzas are only split, and a few attributes and the body
// are read with byte searches. It only understands what Prosody sends.
type client struct {
	conn net.Conn
	jid  string // full JID bound

	wmu sync.Mutex
	bw  *bufio.Writer

	fr framer

	// history counts the delayed messages (backfill) received.
	history atomic.Int64
}

const streamHeader = `<?xml version='1.0'?><stream:stream to='%s' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`

// dialClient connects to addr and logs in as user@domain/resource.
func dialClient(ctx context.Context, addr, user, domain, password, resource string) (*client, error) {
	c, err := dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	if err := c.login(user, domain, password, resource); err != nil {
		c.conn.Close()
		return nil, fmt.Errorf("log in as %s@%s: %w", user, domain, err)
	}
	_ = c.conn.SetDeadline(time.Time{})
	return c, nil
}

// dial connects to addr without Nagle's delay; the connection keeps ctx's
// deadline until the caller clears it.
func dial(ctx context.Context, addr string) (*client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	return &client{conn: conn, bw: bufio.NewWriterSize(conn, 32<<10), fr: framer{r: conn, buf: make([]byte, 0, 64<<10)}}, nil
}

func (c *client) login(user, domain, password, resource string) error {
	open := func() error {
		if err := c.write(fmt.Sprintf(streamHeader, domain)); err != nil {
			return err
		}
		if err := c.fr.header(); err != nil {
			return err
		}
		feat, err := c.fr.next()
		if err != nil {
			return err
		}
		if !bytes.HasPrefix(feat, []byte("<stream:features")) {
			return fmt.Errorf("expected stream features, got %.200s", feat)
		}
		return nil
	}
	if err := open(); err != nil {
		return err
	}
	cred := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	if err := c.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>` + cred + `</auth>`); err != nil {
		return err
	}
	res, err := c.fr.next()
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(res, []byte("<success")) {
		return fmt.Errorf("SASL PLAIN refused: %.200s", res)
	}
	c.fr.reset()
	if err := open(); err != nil {
		return err
	}
	if err := c.write(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>` + resource + `</resource></bind></iq>`); err != nil {
		return err
	}
	res, err = c.fr.next()
	if err != nil {
		return err
	}
	if attr(res, "type") != "result" {
		return fmt.Errorf("bind refused: %.200s", res)
	}
	c.jid = between(res, "<jid>", "</jid>")
	if c.jid == "" {
		return fmt.Errorf("bind: no JID in %.200s", res)
	}
	// Initial presence: messages to the bare JID (the gateway's) reach us.
	return c.write(`<presence/>`)
}

// write sends s at once.
func (c *client) write(s string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.bw.WriteString(s); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := c.bw.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// queue buffers s; flush sends what is buffered. The echoing client
// answers everything one read brought in one system call, as the gateway's
// writer does.
func (c *client) queue(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.bw.Write(b)
	return err
}

func (c *client) flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.bw.Flush()
}

// iq sends an iq with this id and returns its answer, skipping (and
// handing to other) whatever arrives before it. Only for set-up, before
// the read loop runs.
func (c *client) iq(ctx context.Context, id, raw string, other func([]byte)) ([]byte, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = c.conn.SetReadDeadline(dl)
		defer c.conn.SetReadDeadline(time.Time{})
	}
	if err := c.write(raw); err != nil {
		return nil, err
	}
	for {
		el, err := c.fr.next()
		if err != nil {
			return nil, err
		}
		if bytes.HasPrefix(el, []byte("<iq")) && attr(el, "id") == id {
			return el, nil
		}
		if other != nil {
			other(el)
		}
	}
}

// close ends the stream and the connection.
func (c *client) close() {
	_ = c.conn.SetWriteDeadline(time.Now().Add(time.Second))
	_ = c.write(`</stream:stream>`)
	c.conn.Close()
}

// framer splits a stream into top-level elements.
type framer struct {
	r   io.Reader
	buf []byte
	off int // start of unread data in buf
}

// errStreamEnd is the server's closing tag.
var errStreamEnd = errors.New("the server closed the stream")

func (f *framer) reset() { f.buf, f.off = f.buf[:0], 0 }

// buffered reports whether a whole or partial element is already read.
func (f *framer) buffered() bool {
	for _, c := range f.buf[f.off:] {
		if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
			return true
		}
	}
	return false
}

func (f *framer) fill() error {
	if f.off > 0 {
		n := copy(f.buf, f.buf[f.off:])
		f.buf, f.off = f.buf[:n], 0
	}
	if len(f.buf) == cap(f.buf) {
		nb := make([]byte, len(f.buf), 2*cap(f.buf))
		copy(nb, f.buf)
		f.buf = nb
	}
	n, err := f.r.Read(f.buf[len(f.buf):cap(f.buf)])
	f.buf = f.buf[:len(f.buf)+n]
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// header consumes the server's stream header (and XML declaration).
func (f *framer) header() error {
	for {
		data := f.buf[f.off:]
		if i := bytes.Index(data, []byte("<stream:stream")); i >= 0 {
			if j := bytes.IndexByte(data[i:], '>'); j >= 0 {
				f.off += i + j + 1
				return nil
			}
		}
		if err := f.fill(); err != nil {
			return fmt.Errorf("read stream header: %w", err)
		}
	}
}

// next returns the next top-level element, valid until the next call.
func (f *framer) next() ([]byte, error) {
	for {
		if el, n := scanElement(f.buf[f.off:]); n > 0 {
			f.off += n
			if el != nil {
				return el, nil
			}
			continue
		} else if n < 0 {
			return nil, errStreamEnd
		}
		if err := f.fill(); err != nil {
			return nil, err
		}
	}
}

// scanElement finds the first whole element in b. It returns the element
// and the bytes consumed; nil and n > 0 for whitespace only; 0 when more
// data is needed; n < 0 at the stream's closing tag.
func scanElement(b []byte) ([]byte, int) {
	start := 0
	for start < len(b) && (b[start] == ' ' || b[start] == '\n' || b[start] == '\r' || b[start] == '\t') {
		start++
	}
	if start == len(b) {
		return nil, start
	}
	depth := 0
	i := start
	for i < len(b) {
		lt := bytes.IndexByte(b[i:], '<')
		if lt < 0 {
			return nil, 0
		}
		i += lt
		if i+1 >= len(b) {
			return nil, 0
		}
		switch b[i+1] {
		case '/':
			gt := bytes.IndexByte(b[i:], '>')
			if gt < 0 {
				return nil, 0
			}
			if depth == 0 {
				return nil, -1 // </stream:stream>
			}
			i += gt + 1
			depth--
			if depth == 0 {
				return b[start:i], i
			}
		case '?', '!':
			gt := bytes.IndexByte(b[i:], '>')
			if gt < 0 {
				return nil, 0
			}
			i += gt + 1
		default:
			// A start tag: find its end outside quoted values.
			var q byte
			j := i + 1
			for ; j < len(b); j++ {
				c := b[j]
				if q != 0 {
					if c == q {
						q = 0
					}
					continue
				}
				if c == '\'' || c == '"' {
					q = c
				} else if c == '>' {
					break
				}
			}
			if j == len(b) {
				return nil, 0
			}
			i = j + 1
			if b[j-1] != '/' {
				depth++
			} else if depth == 0 {
				return b[start:i], i
			}
		}
	}
	return nil, 0
}

// attr returns the value of a root attribute of el (no entity decoding:
// the values the tool reads are JIDs and ids it chose).
func attr(el []byte, name string) string {
	end := 0
	for q := byte(0); end < len(el); end++ {
		c := el[end]
		if q != 0 {
			if c == q {
				q = 0
			}
		} else if c == '\'' || c == '"' {
			q = c
		} else if c == '>' {
			break
		}
	}
	tag := el[:end]
	for i := 0; i < len(tag); {
		k := bytes.Index(tag[i:], []byte(name+"="))
		if k < 0 {
			return ""
		}
		k += i
		i = k + len(name) + 1
		if k == 0 || (tag[k-1] != ' ' && tag[k-1] != '\n' && tag[k-1] != '\t') || i >= len(tag) {
			continue
		}
		q := tag[i]
		if q != '\'' && q != '"' {
			continue
		}
		v := bytes.IndexByte(tag[i+1:], q)
		if v < 0 {
			return ""
		}
		return string(tag[i+1 : i+1+v])
	}
	return ""
}

// between returns the text between the first open and the close after it.
func between(el []byte, open, close string) string {
	_, rest, ok := bytes.Cut(el, []byte(open))
	if !ok {
		return ""
	}
	v, _, ok := bytes.Cut(rest, []byte(close))
	if !ok {
		return ""
	}
	return string(v)
}

// bodyOf returns the raw (still escaped) text of el's <body/>.
func bodyOf(el []byte) []byte {
	i := bytes.Index(el, []byte("<body>"))
	if i < 0 {
		return nil
	}
	rest := el[i+len("<body>"):]
	j := bytes.Index(rest, []byte("</body>"))
	if j < 0 {
		return nil
	}
	return rest[:j]
}

// bareJID drops the resource.
func bareJID(j string) string {
	if i := strings.IndexByte(j, '/'); i >= 0 {
		return j[:i]
	}
	return j
}
