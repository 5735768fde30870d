// Package rpc is a small JSON-RPC 2.0 client for signal-cli's daemon:
// newline-delimited requests and answers on a Unix socket, matched by ID,
// and notifications (signal-cli's "receive") handed to one handler in the
// order they came. The client dials again when the connection drops (the
// daemon restarted) and says so, so that the caller subscribes again.
package rpc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"time"
)

// Error is a JSON-RPC error answer.
type Error struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("signal-cli error %d: %s", e.Code, e.Message) }

// signal-cli's error codes, beside JSON-RPC's own (-32xxx).
const (
	CodeUserError      = -1
	CodeIOError        = -3
	CodeUntrustedKey   = -4
	CodeRateLimit      = -5
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
)

var (
	// ErrDisconnected: the connection dropped before the answer came. The
	// request may or may not have been carried out.
	ErrDisconnected = errors.New("rpc: the connection to signal-cli dropped before it answered")
	// ErrNotConnected: there is no connection to send on.
	ErrNotConnected = errors.New("rpc: not connected to signal-cli")
	// ErrClosed: Close was called.
	ErrClosed = errors.New("rpc: client closed")
)

// DefaultTimeout is how long a call waits for its answer when its context
// has no deadline.
const DefaultTimeout = 30 * time.Second

// MaxLine is the longest line read from the daemon: an attachment asked
// with getAttachment comes base64 in one line.
const MaxLine = 256 << 20

// Note is a notification the daemon sent.
type Note struct {
	Method string
	Params json.RawMessage
	// Ref is the caller's own reference to the note (0: none), set by
	// Options.Received or given in Options.Backlog, and handed to Notify
	// with it.
	Ref uint64
}

// Options configure a Client.
type Options struct {
	// Notify is called with each notification, one at a time, in the
	// order they arrived. It may call the client.
	Notify func(n Note)
	// Received, when set, is called in the reading goroutine with the
	// notifications just read, in order, before they are queued for
	// Notify and before anything more is read: signal-cli forgets an
	// envelope once it wrote it to the socket, so a caller that must not
	// lose one keeps it durably there (and may set its Ref). Answers
	// read after them wait for it.
	Received func(notes []Note)
	// Backlog are notifications handed to Notify first, before any the
	// daemon sends: the caller's own, kept from a connection before.
	Backlog []Note
	// SpoolDir, when set, is where a file answered base64 in a long
	// line is decoded as it is read (spool.go), for CallFile; MaxFile
	// (> 0) bounds its size.
	SpoolDir string
	MaxFile  int64
	// Up is called, in its own goroutine, after each successful dial
	// (the first one too); Down when a connection is lost, with why.
	Up   func()
	Down func(err error)
	// MinBackoff and MaxBackoff pace the dialling (defaults 100ms, 5s).
	MinBackoff, MaxBackoff time.Duration
}

type answer struct {
	result json.RawMessage
	err    error
	file   spooled // a result's data decoded into a file (spool.go)
}

// Client is a connection to signal-cli's socket that redials.
type Client struct {
	path string
	opt  Options

	wmu     sync.Mutex // held while writing a request
	mu      sync.Mutex
	conn    net.Conn
	gen     uint64 // the connection's number: how many dials succeeded
	pending map[string]chan answer
	nextID  uint64
	closed  bool

	notes chan struct{} // wakes the dispatcher
	queue []Note
	// noted and handled count the notifications read and those Notify
	// returned from (Drain).
	noted, handled uint64
	stop           chan struct{}
	stopped        sync.WaitGroup
	upOnce         chan struct{} // closed at the first successful dial
}

// Dial starts a client of the socket at path; it dials in the background
// until Close, and returns at once.
func Dial(path string, opt Options) *Client {
	if opt.MinBackoff <= 0 {
		opt.MinBackoff = 100 * time.Millisecond
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = 5 * time.Second
	}
	c := &Client{path: path, opt: opt, pending: map[string]chan answer{}, notes: make(chan struct{}, 1),
		stop: make(chan struct{}), upOnce: make(chan struct{})}
	if len(opt.Backlog) > 0 {
		c.queue = append(c.queue, opt.Backlog...)
		c.noted = uint64(len(opt.Backlog))
		c.notes <- struct{}{}
	}
	c.stopped.Add(2)
	go c.run()
	go c.dispatch()
	return c
}

// WaitUp waits until the client is connected once, or ctx ends.
func (c *Client) WaitUp(ctx context.Context) error {
	select {
	case <-c.upOnce:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Up is closed once the client connected the first time.
func (c *Client) Up() <-chan struct{} { return c.upOnce }

// Conn is the number of the current connection (each dial that succeeds
// gets the next), 0 when there is none; CallOn makes a call on it only.
func (c *Client) Conn() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return 0
	}
	return c.gen
}

// Drain waits until every notification read so far was handed to Notify
// and Notify returned, or ctx ends: with no new ones coming (the
// subscription ended), what the daemon sent is then handled, not dropped
// by Close while waiting its turn.
func (c *Client) Drain(ctx context.Context) error {
	c.mu.Lock()
	want := c.noted
	c.mu.Unlock()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		c.mu.Lock()
		done := c.handled >= want
		c.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.stop:
			return ErrClosed
		case <-tick.C:
		}
	}
}

// Inject queues notes for Notify after those read so far, as if read
// from the socket (Received is not called: the caller kept them); false
// when the client is closed, and they are not handed over.
func (c *Client) Inject(notes []Note) bool {
	if len(notes) == 0 {
		return true
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	c.queue = append(c.queue, notes...)
	c.noted += uint64(len(notes))
	c.mu.Unlock()
	select {
	case c.notes <- struct{}{}:
	default:
	}
	return true
}

// Done is closed once Close was called.
func (c *Client) Done() <-chan struct{} { return c.stop }

// Connected reports whether the client has a connection now.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn != nil
}

// Close ends the connection and the dialling; pending calls fail.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	conn := c.conn
	close(c.stop)
	c.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
	c.stopped.Wait()
	return nil
}

// run dials, reads until the connection drops, and dials again.
func (c *Client) run() {
	defer c.stopped.Done()
	backoff := c.opt.MinBackoff
	first := true
	for {
		select {
		case <-c.stop:
			return
		default:
		}
		conn, err := net.Dial("unix", c.path)
		if err != nil {
			if first && c.opt.Down != nil {
				c.opt.Down(fmt.Errorf("rpc: dial %s: %w", c.path, err))
			}
			first = false
			select {
			case <-c.stop:
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, c.opt.MaxBackoff)
			continue
		}
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			conn.Close()
			return
		}
		c.conn = conn
		c.gen++
		select {
		case <-c.upOnce:
		default:
			close(c.upOnce)
		}
		c.mu.Unlock()
		backoff, first = c.opt.MinBackoff, false
		if c.opt.Up != nil {
			go c.opt.Up()
		}
		err = c.read(conn)
		c.mu.Lock()
		c.conn = nil
		for id, ch := range c.pending {
			ch <- answer{err: ErrDisconnected}
			delete(c.pending, id)
		}
		closed := c.closed
		c.mu.Unlock()
		conn.Close()
		if closed {
			return
		}
		if c.opt.Down != nil {
			c.opt.Down(err)
		}
	}
}

// message is any line the daemon sends: an answer (id) or a notification
// (method).
type message struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *Error          `json:"error"`
}

// read reads lines until the connection fails. Notifications read in
// one go (what the socket had buffered) are handed to Received together,
// then queued; an answer read after them waits for that, so that what
// Drain counts includes every notification sent before it.
func (c *Client) read(conn net.Conn) error {
	br := bufio.NewReaderSize(conn, 64<<10)
	var batch []Note
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if c.opt.Received != nil {
			c.opt.Received(batch)
		}
		c.mu.Lock()
		c.queue = append(c.queue, batch...)
		c.noted += uint64(len(batch))
		c.mu.Unlock()
		batch = nil
		select {
		case c.notes <- struct{}{}:
		default:
		}
	}
	defer flush() // what was read before the connection failed
	for {
		if br.Buffered() == 0 || len(batch) >= maxBatch {
			flush()
		}
		frag, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) && c.opt.SpoolDir != "" {
			// A long line, a file answered: parsed as it is read.
			m, sp, perr := c.readLong(append([]byte(nil), frag...), br)
			switch {
			case perr != nil:
				if sp.path != "" {
					os.Remove(sp.path)
				}
			case m.Method != "" && (len(m.ID) == 0 || string(m.ID) == "null"):
				if sp.path != "" {
					os.Remove(sp.path)
				}
				batch = append(batch, Note{Method: m.Method, Params: m.Params})
			case m.Method == "" && len(m.ID) > 0:
				a := answer{result: m.Result, file: sp}
				if m.Error != nil {
					a = answer{err: m.Error}
					if sp.path != "" {
						os.Remove(sp.path)
					}
				}
				flush()
				if !c.deliver(idString(m.ID), a) && sp.path != "" {
					os.Remove(sp.path)
				}
			}
			continue
		}
		line, err := finishLine(br, frag, err)
		if errors.Is(err, io.EOF) {
			return errors.New("rpc: signal-cli closed the connection")
		}
		if err != nil {
			return fmt.Errorf("rpc: read: %w", err)
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var m message
		if err := json.Unmarshal(line, &m); err != nil {
			// A line we cannot read is skipped, not fatal: the next
			// one may be fine. One that still names a call (an error
			// that is no object) fails it now, not at its timeout.
			var named struct {
				ID     json.RawMessage `json:"id"`
				Method json.RawMessage `json:"method"`
			}
			if json.Unmarshal(line, &named) == nil && len(named.Method) == 0 && len(named.ID) > 0 {
				flush()
				c.deliver(idString(named.ID), answer{err: fmt.Errorf("rpc: signal-cli's answer cannot be read: %w", err)})
			}
			continue
		}
		switch {
		case m.Method != "" && (len(m.ID) == 0 || string(m.ID) == "null"):
			batch = append(batch, Note{Method: m.Method, Params: m.Params})
		case m.Method == "" && len(m.ID) > 0:
			// An answer; a request of the daemon's (a method with an
			// ID: signal-cli sends none) is no answer to a call of the
			// same ID.
			var a answer
			if m.Error != nil {
				a.err = m.Error
			} else {
				a.result = m.Result
			}
			flush()
			c.deliver(idString(m.ID), a)
		}
	}
}

// maxBatch bounds the notifications handed to Received at once.
const maxBatch = 256

// readLine reads one line, without its newline: a slice of br's buffer
// when it fits there, valid until the next read, else a slice of its
// own, dropped with the line. Not bufio.Scanner, whose buffer grows to
// the longest line read (an attachment from getAttachment, up to
// MaxLine) and stays that large for the connection's life.
func readLine(br *bufio.Reader) ([]byte, error) {
	frag, err := br.ReadSlice('\n')
	return finishLine(br, frag, err)
}

// finishLine is readLine after its first ReadSlice, which gave frag and
// err.
func finishLine(br *bufio.Reader, frag []byte, err error) ([]byte, error) {
	switch {
	case err == nil:
		return frag[:len(frag)-1], nil
	case errors.Is(err, io.EOF) && len(frag) > 0:
		return frag, nil // a last line without its newline; EOF next
	case !errors.Is(err, bufio.ErrBufferFull):
		return nil, err
	}
	line := append([]byte(nil), frag...)
	for {
		frag, err = br.ReadSlice('\n')
		line = append(line, frag...)
		if len(line) > MaxLine {
			return nil, bufio.ErrTooLong
		}
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, io.EOF):
			return line, nil
		case !errors.Is(err, bufio.ErrBufferFull):
			return nil, err
		}
	}
}

// deliver hands a to the call of id, if one is pending, and says so.
func (c *Client) deliver(id string, a answer) bool {
	c.mu.Lock()
	ch, ok := c.pending[id]
	delete(c.pending, id)
	c.mu.Unlock()
	if ok {
		ch <- a
	}
	return ok
}

// idString is a request ID as this client wrote it: a JSON string or
// number, unquoted.
func idString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// dispatch hands notifications to Notify, in order.
func (c *Client) dispatch() {
	defer c.stopped.Done()
	for {
		select {
		case <-c.stop:
			return
		case <-c.notes:
		}
		for {
			c.mu.Lock()
			if len(c.queue) == 0 {
				c.mu.Unlock()
				break
			}
			n := c.queue[0]
			c.queue[0] = Note{}
			c.queue = c.queue[1:]
			c.mu.Unlock()
			if c.opt.Notify != nil {
				c.opt.Notify(n)
			}
			c.mu.Lock()
			c.handled++
			c.mu.Unlock()
			select {
			case <-c.stop:
				return
			default:
			}
		}
	}
}

type request struct {
	JSONRPC string `json:"jsonrpc"`
	Method  string `json:"method"`
	Params  any    `json:"params,omitempty"`
	ID      string `json:"id"`
}

// Call sends a request and waits for its answer, which it decodes into
// result (unless nil). Without a deadline on ctx it waits DefaultTimeout.
// A JSON-RPC error answer is an *Error.
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	return c.call(ctx, 0, method, params, result)
}

// CallOn is Call on the connection numbered conn (Conn) only: when that
// one is gone it fails with ErrNotConnected, not sent on the next one.
func (c *Client) CallOn(ctx context.Context, conn uint64, method string, params, result any) error {
	if conn == 0 {
		return ErrNotConnected
	}
	return c.call(ctx, conn, method, params, result)
}

// call is Call on the connection numbered want (0: any).
func (c *Client) call(ctx context.Context, want uint64, method string, params, result any) error {
	a, err := c.callAnswer(ctx, want, method, params)
	if err != nil {
		return err
	}
	if a.file.path != "" || a.file.tooLarge || a.file.err != nil {
		// A file answered to a plain call: given whole, as it came.
		if a.result, err = a.file.inline(a.result); err != nil {
			return fmt.Errorf("rpc: %s: %w", method, err)
		}
	}
	if result != nil && len(a.result) > 0 {
		if err := json.Unmarshal(a.result, result); err != nil {
			return fmt.Errorf("rpc: %s: the answer cannot be read: %w", method, err)
		}
	}
	return nil
}

// callAnswer makes a call and returns its answer as it came.
func (c *Client) callAnswer(ctx context.Context, want uint64, method string, params any) (answer, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return answer{}, ErrClosed
	}
	conn := c.conn
	if conn == nil || (want != 0 && c.gen != want) {
		c.mu.Unlock()
		return answer{}, ErrNotConnected
	}
	c.nextID++
	id := strconv.FormatUint(c.nextID, 10)
	line, err := json.Marshal(request{JSONRPC: "2.0", Method: method, Params: params, ID: id})
	if err != nil {
		c.mu.Unlock()
		return answer{}, fmt.Errorf("rpc: %s: %w", method, err)
	}
	ch := make(chan answer, 1)
	c.pending[id] = ch
	c.mu.Unlock()
	// One writer at a time, so that lines never interleave; apart from
	// mu, so that a slow write holds up no answer being read.
	c.wmu.Lock()
	conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err = conn.Write(append(line, '\n'))
	c.wmu.Unlock()
	if err != nil {
		c.forget(id)
		conn.Close() // the reader sees it and redials
		return answer{}, fmt.Errorf("rpc: %s: %w: %w", method, ErrDisconnected, err)
	}
	select {
	case a := <-ch:
		if a.err != nil {
			if errors.Is(a.err, ErrDisconnected) {
				return answer{}, fmt.Errorf("rpc: %s: %w", method, a.err)
			}
			return answer{}, a.err
		}
		return a, nil
	case <-ctx.Done():
		c.forget(id)
		return answer{}, fmt.Errorf("rpc: %s: no answer: %w", method, ctx.Err())
	}
}

func (c *Client) forget(id string) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}
