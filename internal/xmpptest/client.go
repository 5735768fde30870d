// Package xmpptest is a real XMPP client (c2s) for tests, the demo and the
// load tool: it logs in with SASL to a real server and lets its caller work
// at stanza level, sending XML text and receiving parsed stanzas.
//
// It is built on mellium.im/xmpp for stream negotiation (SASL, resource
// binding) only. After that the client owns the stream: one reader
// goroutine parses every top-level element into a Stanza, hands IQ replies
// to the IQ call waiting for them, and queues everything else, without
// bound, for Next. Nothing is answered automatically: an IQ get or set from
// the server waits in the queue until the test answers it (or not).
//
// The connection is plain TCP. mellium only negotiates SASL on a stream
// whose state says Secure, so Dial declares the connection secure: fine on
// loopback to a test server with c2s_require_encryption = false. Do not
// point this client at a server across a network.
package xmpptest

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
)

// ErrAuth is wrapped by Dial's error when the server rejected the
// credentials (SASL failure), as opposed to a network or protocol failure.
var ErrAuth = errors.New("xmpptest: authentication failed")

// ErrClosed is wrapped by the errors of a Client whose stream has ended
// (closed by either side, or broken); the stream's own error is wrapped too.
var ErrClosed = errors.New("xmpptest: stream closed")

// closeTimeout bounds how long Close waits for the server's closing tag:
// long enough for a server under load (CI runs every package at once on
// 2 cores), since what the client sent is processed only by then.
const closeTimeout = 20 * time.Second

// Client is a logged-in c2s session. Its methods are safe for concurrent
// use.
type Client struct {
	sess *xmpp.Session
	conn net.Conn
	jid  jid.JID

	mu      sync.Mutex
	queue   []Stanza
	notify  chan struct{} // closed (and replaced) whenever queue grows
	pending map[string]chan Stanza
	// given up are the ids of IQs whose caller stopped waiting: their
	// late reply is dropped, not queued for Next.
	givenUp map[string]bool
	readErr error         // why the reader stopped; set before done is closed
	done    chan struct{} // closed when the reader has stopped

	ids       sync.Mutex
	nextID    uint64
	closeOnce sync.Once
	closeErr  error
}

// mechanisms in order of preference. Prosody 0.12 with internal_hashed
// offers SCRAM-SHA-1 and PLAIN (PLAIN only because the test config sets
// allow_unencrypted_plain_auth); the -PLUS variants need TLS.
var mechanisms = []sasl.Mechanism{sasl.ScramSha256, sasl.ScramSha1, sasl.Plain}

// Dial connects to addr ("127.0.0.1:5222"), logs in as j with password and
// binds a resource: j's resourcepart if it has one, else one the server
// picks. It does not send initial presence (see SendPresence). ctx bounds
// the connection and negotiation only.
func Dial(ctx context.Context, addr string, j jid.JID, password string) (*Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("xmpptest: dial %s: %w", addr, err)
	}
	sess, err := xmpp.NewSession(ctx, j.Domain(), j, conn, xmpp.Secure, xmpp.NewNegotiator(
		func(*xmpp.Session, *xmpp.StreamConfig) xmpp.StreamConfig {
			return xmpp.StreamConfig{Features: []xmpp.StreamFeature{
				xmpp.SASL("", password, mechanisms...),
				bindFeature(j.Resourcepart()),
			}}
		}))
	if err != nil {
		if sess != nil {
			_ = sess.Close() // a closing tag lets the server drop the session now
		}
		conn.Close()
		if isSASLFailure(err) {
			return nil, fmt.Errorf("xmpptest: log in as %s: %w: %w", j, ErrAuth, err)
		}
		return nil, fmt.Errorf("xmpptest: log in as %s: %w", j, err)
	}
	c := &Client{
		sess:    sess,
		conn:    conn,
		jid:     sess.LocalAddr(),
		notify:  make(chan struct{}),
		pending: make(map[string]chan Stanza),
		givenUp: make(map[string]bool),
		done:    make(chan struct{}),
	}
	go c.read()
	return c, nil
}

// isSASLFailure reports whether err is a SASL <failure/> from the server.
// mellium returns it as a value of its internal saslerr.Error type, which
// cannot be named from here: recognise it by package.
func isSASLFailure(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if reflect.TypeOf(e).PkgPath() == "mellium.im/xmpp/internal/saslerr" {
			return true
		}
	}
	return false
}

// JID is the full JID the server bound.
func (c *Client) JID() jid.JID { return c.jid }

// Done is closed when the stream has ended; Err then says why.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is nil while the stream is up, then the reason it ended, wrapping
// ErrClosed (and io.EOF when the server closed the stream cleanly).
func (c *Client) Err() error {
	select {
	case <-c.done:
		return c.readErr
	default:
		return nil
	}
}

// SendPresence sends initial presence, so that the server routes messages
// to bare JIDs here and sends presence of roster contacts.
func (c *Client) SendPresence(ctx context.Context) error {
	return c.SendRaw(ctx, "<presence/>")
}

// SendRaw writes one stanza given as XML text, as is. The text must be one
// well-formed element (whitespace around it is allowed); it inherits the
// stream's namespace, jabber:client, unless it declares another.
func (c *Client) SendRaw(ctx context.Context, raw string) error {
	if _, err := parseRoot(raw); err != nil {
		return err
	}
	if err := c.Err(); err != nil {
		return err
	}
	// Take mellium's writer lock and flush it, so no other write (Close's
	// closing tag) interleaves, then write the text itself: re-encoding it
	// through encoding/xml would rename prefixes and duplicate xmlns.
	w := c.sess.TokenWriter()
	defer w.Close()
	if err := w.Flush(); err != nil {
		return fmt.Errorf("xmpptest: send: %w", err)
	}
	conn := c.sess.Conn()
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = conn.SetWriteDeadline(time.Unix(1, 0)) // interrupts the write
		close(fired)
	})
	_, err := io.WriteString(conn, raw)
	if !stop() {
		<-fired
		_ = conn.SetWriteDeadline(time.Time{})
	}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("xmpptest: send: %w (%w)", ctx.Err(), err)
		}
		return fmt.Errorf("xmpptest: send: %w", err)
	}
	return nil
}

// EnableCarbons turns XEP-0280 message carbons on for this session: it
// then gets a copy of what the user's other sessions send and receive,
// and of what a component sends as the user (XEP-0356).
func (c *Client) EnableCarbons(ctx context.Context) error {
	st, err := c.IQ(ctx, `<iq type='set'><enable xmlns='urn:xmpp:carbons:2'/></iq>`)
	if err != nil {
		return fmt.Errorf("xmpptest: enable carbons: %w", err)
	}
	if st.Type != "result" {
		return fmt.Errorf("xmpptest: enable carbons: %s", st.XML)
	}
	return nil
}

// IQ sends an iq get or set given as XML text and waits for the result or
// error with its id. When the text has no id attribute, one is added. A
// reply that comes after IQ returned (its ctx ended) is dropped. An
// error reply is not a Go error: it is returned as the Stanza, Type "error",
// with Err set; the error is for failures to send or to hear back.
func (c *Client) IQ(ctx context.Context, raw string) (Stanza, error) {
	root, err := parseRoot(raw)
	if err != nil {
		return Stanza{}, err
	}
	if root.name.Local != "iq" {
		return Stanza{}, fmt.Errorf("xmpptest: IQ: root element is <%s/>, want <iq/>", root.name.Local)
	}
	if t := root.attr("type"); t != "get" && t != "set" {
		return Stanza{}, fmt.Errorf("xmpptest: IQ: type %q, want get or set", t)
	}
	id := root.attr("id")
	if id == "" {
		id = c.NewID()
		raw = insertAttr(raw, "id", id)
	}
	ch := make(chan Stanza, 1)
	c.mu.Lock()
	if _, dup := c.pending[id]; dup {
		c.mu.Unlock()
		return Stanza{}, fmt.Errorf("xmpptest: IQ: id %q already awaited", id)
	}
	c.pending[id] = ch
	delete(c.givenUp, id)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		if _, waiting := c.pending[id]; waiting {
			// No reply taken: one may still come.
			delete(c.pending, id)
			c.givenUp[id] = true
		}
		c.mu.Unlock()
	}()

	if err := c.SendRaw(ctx, raw); err != nil {
		return Stanza{}, err
	}
	select {
	case st := <-ch:
		return st, nil
	case <-c.done:
		select {
		case st := <-ch: // arrived just before the stream ended
			return st, nil
		default:
		}
		return Stanza{}, fmt.Errorf("xmpptest: IQ %s: %w", id, c.readErr)
	case <-ctx.Done():
		return Stanza{}, fmt.Errorf("xmpptest: IQ %s: no reply: %w", id, ctx.Err())
	}
}

// Next returns the first received stanza, oldest first, for which match
// returns true (any stanza if match is nil), and removes it from the queue;
// stanzas that do not match stay queued for later calls. It waits for one
// until ctx is done or the stream ends. match runs with the queue locked:
// it must not call the Client.
func (c *Client) Next(ctx context.Context, match func(Stanza) bool) (Stanza, error) {
	for {
		c.mu.Lock()
		if st, ok := c.takeLocked(match); ok {
			c.mu.Unlock()
			return st, nil
		}
		notify := c.notify
		c.mu.Unlock()
		select {
		case <-notify:
		case <-c.done:
			// The reader queued its last stanza before closing done: one
			// more look, then give up.
			c.mu.Lock()
			st, ok := c.takeLocked(match)
			c.mu.Unlock()
			if ok {
				return st, nil
			}
			return Stanza{}, fmt.Errorf("xmpptest: next stanza: %w", c.readErr)
		case <-ctx.Done():
			return Stanza{}, fmt.Errorf("xmpptest: next stanza: %w (%d queued, none matched)", ctx.Err(), c.Queued())
		}
	}
}

// takeLocked removes and returns the first queued stanza match accepts.
func (c *Client) takeLocked(match func(Stanza) bool) (Stanza, bool) {
	for i, st := range c.queue {
		if match == nil || match(st) {
			c.queue = slices.Delete(c.queue, i, i+1)
			return st, true
		}
	}
	return Stanza{}, false
}

// Pending returns a copy of the queued stanzas, e.g. to log them when a
// test fails.
func (c *Client) Pending() []Stanza {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.queue)
}

// Queued is the number of stanzas waiting for Next.
func (c *Client) Queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue)
}

// NewID returns a stanza id unique within this client. IDs are a counter,
// not random, so a failing test's log reads the same on every run.
func (c *Client) NewID() string {
	c.ids.Lock()
	defer c.ids.Unlock()
	c.nextID++
	return "xmpptest-" + strconv.FormatUint(c.nextID, 10)
}

// Close ends the stream, waits (bounded) for the server to end its own, so
// that what was sent before has been processed, then closes the
// connection. It is idempotent.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		alive := c.Err() == nil
		err := c.sess.Close()
		select {
		case <-c.done:
		case <-time.After(closeTimeout):
		}
		cerr := c.conn.Close()
		if errors.Is(cerr, net.ErrClosed) {
			cerr = nil
		}
		if !alive {
			err = nil // writing the closing tag to a dead stream fails, harmlessly
		}
		if err = errors.Join(err, cerr); err != nil {
			c.closeErr = fmt.Errorf("xmpptest: close: %w", err)
		}
	})
	return c.closeErr
}

// read is the single reader of the stream.
func (c *Client) read() {
	r := c.sess.TokenReader()
	defer r.Close()
	var err error
	for {
		var n *node
		n, err = readElement(r)
		if err != nil {
			break
		}
		if n != nil {
			c.deliver(n.stanza())
		}
	}
	// The input stream is over (closed by the server, e.g. at shutdown, or
	// broken): answer with our closing tag and hang up, as a client should.
	// Prosody waits for that before it finishes shutting down.
	_ = c.sess.Close()
	_ = c.conn.Close()
	c.mu.Lock()
	c.readErr = fmt.Errorf("%w: %w", ErrClosed, err)
	close(c.done)
	c.mu.Unlock()
}

func (c *Client) deliver(st Stanza) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.Name == "iq" && (st.Type == "result" || st.Type == "error") {
		if ch, ok := c.pending[st.ID]; ok {
			delete(c.pending, st.ID)
			ch <- st // buffered, and only this reply is sent on it
			return
		}
		if c.givenUp[st.ID] {
			delete(c.givenUp, st.ID)
			return
		}
	}
	c.queue = append(c.queue, st)
	close(c.notify)
	c.notify = make(chan struct{})
}

// readElement reads the next top-level element. It returns nil, nil for
// whitespace between stanzas (keepalives).
func readElement(r xml.TokenReader) (*node, error) {
	tok, err := r.Token()
	if err != nil {
		return nil, err
	}
	start, ok := tok.(xml.StartElement)
	if !ok {
		if _, ok := tok.(xml.CharData); ok {
			return nil, nil
		}
		return nil, fmt.Errorf("xmpptest: unexpected %T at stream level", tok)
	}
	return readTree(r, start)
}

// readTree reads the rest of the element started by start.
func readTree(r xml.TokenReader, start xml.StartElement) (*node, error) {
	start = xml.CopyToken(start).(xml.StartElement)
	root := &node{name: start.Name, attrs: start.Attr}
	stack := []*node{root}
	for len(stack) > 0 {
		tok, err := r.Token()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		top := stack[len(stack)-1]
		switch t := tok.(type) {
		case xml.StartElement:
			t = xml.CopyToken(t).(xml.StartElement)
			n := &node{name: t.Name, attrs: t.Attr}
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.children = append(top.children, t.Copy())
		}
	}
	return root, nil
}

// parseRoot checks that raw is exactly one well-formed element (nothing
// else could go on the stream without breaking it) and returns it.
func parseRoot(raw string) (*node, error) {
	d := xml.NewDecoder(strings.NewReader(raw))
	var root *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("xmpptest: stanza is not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil {
				return nil, errors.New("xmpptest: more than one element in stanza text")
			}
			if root, err = readTree(d, t); err != nil {
				return nil, fmt.Errorf("xmpptest: stanza is not well-formed XML: %w", err)
			}
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return nil, errors.New("xmpptest: text outside the stanza element")
			}
		default:
			return nil, fmt.Errorf("xmpptest: %T outside the stanza element", tok)
		}
	}
	if root == nil {
		return nil, errors.New("xmpptest: no element in stanza text")
	}
	return root, nil
}

// insertAttr adds name="value" to the root start tag of raw, which
// parseRoot accepted.
func insertAttr(raw, name, value string) string {
	i := strings.IndexByte(raw, '<') + 1
	for i < len(raw) && !strings.ContainsRune(" \t\r\n/>", rune(raw[i])) {
		i++
	}
	var b strings.Builder
	escape(&b, value)
	return raw[:i] + " " + name + `="` + b.String() + `"` + raw[i:]
}

// IsMessage matches message stanzas (for Next).
func IsMessage(s Stanza) bool { return s.Name == "message" }

// IsPresence matches presence stanzas (for Next).
func IsPresence(s Stanza) bool { return s.Name == "presence" }

// IsIQ matches iq stanzas the server sent unasked, gets and sets (for Next).
func IsIQ(s Stanza) bool { return s.Name == "iq" }
