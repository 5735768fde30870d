// Package xmpplink keeps one XEP-0114 component connection to the XMPP
// server alive: it reconnects with exponential backoff, pings the server
// to notice a dead link, reads stanzas on one goroutine and hands them off
// at once, and writes through one writer that batches what is queued into
// one system call.
package xmpplink

import (
	"bufio"
	"cmp"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"mellium.im/xmpp/component"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stream"

	"passerelle.im/passerelle/bridge/wire"
)

// ErrDown is returned by Send while the link is not connected.
var ErrDown = errors.New("xmpplink: not connected to the XMPP server")

// ErrAuth means the server refused the component handshake.
// Its wrapping error says why (handshakeError): Prosody refuses a wrong
// secret with not-authorized and an unknown component with host-unknown.
var ErrAuth = errors.New("the XMPP server refused the component handshake")

const nsStream = "http://etherx.jabber.org/streams"

// Config is a component link's setup.
type Config struct {
	// Addr is the server's component port, host:port.
	Addr string
	// Domain is the component's JID.
	Domain string
	// ServerDomain is the server's own domain when configured, "" to
	// learn or guess it (see ServerDomain).
	ServerDomain string
	// Secret is the XEP-0114 shared secret.
	Secret string
	// SecretFrom says where Secret came from (config.Transport's
	// SecretSource: "secret", "secret_file PATH", "env NAME"), for the
	// log of a refused handshake: the admin must know which one to fix.
	SecretFrom string
	// PingInterval and PingTimeout drive the XEP-0199 watchdog.
	PingInterval, PingTimeout time.Duration
	// HandshakeTimeout bounds the component handshake (default 10 s).
	HandshakeTimeout time.Duration
	// ReconnectMax caps the reconnect backoff.
	ReconnectMax time.Duration
	// Log receives connection state changes.
	Log *slog.Logger
	// Handle gets every stanza that is not an answer to IQ. It runs on the
	// read loop: it must hand work off, never block (Run returns only
	// once the last call has returned).
	Handle func(*wire.Stanza)
	// OnUp, if set, runs in its own goroutine after each connect; Run
	// returns once each has returned (after the queue refuses stanzas:
	// an OnUp that sends is not held up by a link that is gone).
	OnUp func()
	// MaxStanzaBytes is the largest stanza the server takes
	// (DefaultMaxStanzaBytes when 0); a larger one is not written (see
	// fit).
	MaxStanzaBytes int
	// OnTooLarge, if set, hears of each stanza too large to write, by
	// kind (message, iq, presence). It runs on the writer.
	OnTooLarge func(kind string)
}

type outItem struct {
	data []byte
	done func(error)
	// gen, when not 0, is the connection the item is for: written on no
	// other (see SendConfirmed).
	gen uint64
	// confirmed, if set, hears of the barrier that covers the item.
	confirmed func(error)
}

// Link is one component connection, reconnected for as long as Run runs.
type Link struct {
	cfg Config
	q   *outQueue

	mu   sync.Mutex
	up   bool
	gen  uint64        // connections made so far; the current one while up
	upCh chan struct{} // closed while up
	iqs  map[string]pendingIQ

	ids atomic.Uint64
	// learned is the server's domain as it showed it (SetServerDomain,
	// from the handler); atomic, not under mu, as answers reads it with
	// mu held.
	learned atomic.Pointer[string]

	// afterUpCheck, if set (by tests), runs in Send and SendConfirmed
	// between their check that the link is up and their queueing.
	afterUpCheck func()
	// afterStreamClose, if set (by tests), runs at a clean stop once the
	// link sent its </stream:stream>.
	afterStreamClose func()
}

// New returns a link; call Run to connect.
func New(cfg Config) *Link {
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = 30 * time.Second
	}
	if cfg.PingTimeout <= 0 {
		cfg.PingTimeout = 10 * time.Second
	}
	if cfg.ReconnectMax <= 0 {
		cfg.ReconnectMax = 30 * time.Second
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Link{cfg: cfg, q: newOutQueue(), upCh: make(chan struct{}), iqs: map[string]pendingIQ{}}
}

// Domain is the component's JID.
func (l *Link) Domain() string { return l.cfg.Domain }

// Up reports whether the link is connected.
func (l *Link) Up() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.up
}

// WaitUp blocks until the link is connected or ctx ends.
func (l *Link) WaitUp(ctx context.Context) error {
	l.mu.Lock()
	ch := l.upCh
	up := l.up
	l.mu.Unlock()
	if up {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Send queues one stanza. done, if set, is called once the stanza was
// written to the socket, or with the error that kept it from it; when
// Send returns an error, the stanza was not queued and done is not
// called.
func (l *Link) Send(ctx context.Context, data []byte, done func(error)) error {
	if !l.Up() {
		return ErrDown
	}
	if l.afterUpCheck != nil {
		l.afterUpCheck()
	}
	return l.queue(ctx, outItem{data: data, done: done})
}

// Generation numbers the connections: it returns the current one's
// number (1 for the first), or 0 while the link is down.
func (l *Link) Generation() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.up {
		return 0
	}
	return l.gen
}

// SendConfirmed queues one stanza for connection gen (see Generation).
// XEP-0114 has no acknowledgement, and a server that goes down drops
// what it had not read yet: a stanza written is not a stanza delivered.
// So after writing, the link writes a ping to the server on the same
// stream; the server handles a stream's stanzas in order, so its answer
// proves the stanzas before the ping arrived. confirmed, if set, is
// called with nil then, or with ErrDown when the stanza was not written
// on gen or gen ended before the answer came (Generation has moved on by
// then): the caller sends it again on the next connection. One ping
// covers every stanza written before it, and at most one is in flight at
// a time. confirmed runs on the writer: it must not block.
func (l *Link) SendConfirmed(ctx context.Context, gen uint64, data []byte, confirmed func(error)) error {
	if gen == 0 || l.Generation() != gen {
		return ErrDown
	}
	if l.afterUpCheck != nil {
		l.afterUpCheck()
	}
	return l.queue(ctx, outItem{data: data, gen: gen, confirmed: confirmed})
}

func (l *Link) queue(ctx context.Context, it outItem) error {
	// An ended ctx queues nothing: a writer stopped with ctx (the
	// gateway's stop) would write some of its stanzas and not others, a
	// room's copy after one missed, whose stanza-id a client's catch-up
	// then started past.
	if err := ctx.Err(); err != nil {
		return err
	}
	// A link found up a moment ago may be down now: the stanza waits
	// for the next connection, or, once Run ended, the queue refuses it
	// (queue.go).
	return l.q.put(ctx, it)
}

// NewID returns a fresh stanza id for requests the gateway makes.
func (l *Link) NewID() string {
	return "pg" + strconv.FormatUint(l.ids.Add(1), 36) + strconv.FormatUint(rand.Uint64()&0xffffff, 36)
}

// IQ sends an iq get or set (built with id) and waits for its answer.
func (l *Link) IQ(ctx context.Context, id string, data []byte) (*wire.Stanza, error) {
	ch := make(chan *wire.Stanza, 1)
	to := ""
	if st := head(data); st != nil {
		to = st.To()
	}
	l.mu.Lock()
	l.iqs[id] = pendingIQ{ch: ch, to: to}
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.iqs, id)
		l.mu.Unlock()
	}()
	if err := l.Send(ctx, data, nil); err != nil {
		return nil, err
	}
	select {
	case st := <-ch:
		if st == nil {
			return nil, ErrDown
		}
		return st, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Run connects and keeps the link up until ctx ends.
//
// A lost link is told once, at its level, with the cause and that it
// retries; the retries that fail the same way are at debug (an operator
// reading the log at info sees one line per outage, not two a minute),
// a different cause is told again, and "component link up" says how
// long the link was down.
func (l *Link) Run(ctx context.Context) error {
	log := l.cfg.Log.With("server", l.cfg.Addr, "component", l.cfg.Domain)
	backoff := 250 * time.Millisecond
	// The OnUps run the caller's code (its stanzas, its store): waited
	// for, last, after failQueued refused the stanzas they would wait to
	// queue. Before, one could run after Run returned.
	var ups sync.WaitGroup
	defer ups.Wait()
	l.q.open()
	defer l.failQueued()
	// told is the message and kind (failureKind) of the last failure
	// logged at its level since the link was last up; "" once it is up
	// again.
	told := ""
	var down downTime
	for {
		started := time.Now()
		err := l.session(ctx, log, &down, &ups)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(started) > time.Minute {
			backoff = 250 * time.Millisecond
		}
		if down.since.IsZero() || down.wasUp {
			// Lost now (or never up yet): told afresh.
			down = downTime{since: time.Now()}
			told = ""
		}
		level, msg := slog.LevelWarn, "component link down"
		attrs := []any{"err", err, "retry_in", backoff}
		switch {
		case errors.Is(err, ErrAuth):
			// Retrying at once would hammer the server with a secret
			// that cannot work; the admin must fix the config.
			backoff = l.cfg.ReconnectMax
			level, msg = slog.LevelError, "component handshake refused: check the secret and the server's Component block"
			attrs = []any{"err", err, "secret_from", cmp.Or(l.cfg.SecretFrom, "unknown"), "retry_in", backoff}
		case errors.Is(err, ErrWrongPort):
			backoff = l.cfg.ReconnectMax
			level, msg = slog.LevelError, "component handshake failed: xmpp.server is not the component port"
			attrs = []any{"err", err, "retry_in", backoff}
		case errors.Is(err, stream.SeeOtherHost):
			// The server says the same to each try: only the config
			// helps (the link connects to xmpp.server, nowhere else).
			backoff = l.cfg.ReconnectMax
			level, msg = slog.LevelError, "component link down: the XMPP server sends the component to another address (see-other-host): point xmpp.server at it"
			attrs = []any{"err", err, "retry_in", backoff}
		case errors.Is(err, stream.Conflict) && !errors.As(err, new(*handshakeFailed)):
			// Another process took the name over: at a fast pace the
			// two would take it from each other, each cut in turn. (A
			// conflict at the handshake may be the server not having
			// noticed this gateway's last connection gone yet: retried
			// as usual.)
			backoff = l.cfg.ReconnectMax
			level, msg = slog.LevelError, "component link down: another connection holds the component's name (conflict): is another passerelle running with this transport?"
			attrs = []any{"err", err, "retry_in", backoff}
		case errors.Is(err, stream.SystemShutdown):
			msg = "component link down: the XMPP server is shutting down; connecting again once it is back"
		}
		// The message and the failure's kind: "component link down"
		// is many causes (refused, then a conflict at the handshake).
		if key := msg + "\x00" + failureKind(err); key == told {
			// The same failure again: the operator knows already.
			level = slog.LevelDebug
			attrs = append(attrs, "down_for", time.Since(down.since).Round(time.Second))
		} else {
			told = key
		}
		log.Log(ctx, level, msg, attrs...)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return nil
		}
		backoff = min(backoff*2, l.cfg.ReconnectMax)
	}
}

// downTime is when the link went down, and whether it came up since.
type downTime struct {
	since time.Time
	wasUp bool
}

// session runs one connection until it ends; ups runs OnUp (Run waits
// for it).
func (l *Link) session(ctx context.Context, log *slog.Logger, down *downTime, ups *sync.WaitGroup) error {
	domain, err := jid.Parse(l.cfg.Domain)
	if err != nil {
		return fmt.Errorf("component domain %q: %w", l.cfg.Domain, err)
	}
	d := net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", l.cfg.Addr)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("connect: %w: is the XMPP server running, and is xmpp.server (%s) its component port (Prosody: component_ports, 5347 by default)?", err, l.cfg.Addr)
	}
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	// The handshake is bounded by the connection's deadline, and cut by
	// ctx (the stop) through it (see recorder).
	conn.SetDeadline(time.Now().Add(l.cfg.HandshakeTimeout))
	var cutMu sync.Mutex
	negotiating := true
	stopCut := context.AfterFunc(ctx, func() {
		cutMu.Lock()
		defer cutMu.Unlock()
		if negotiating {
			conn.SetDeadline(time.Unix(1, 0))
		}
	})
	// The server's first answer is kept: a handshake refused by a port
	// that is no component port says what answered (answer.go).
	rec := newRecorder(conn)
	sess, err := component.NewSession(ctx, domain, []byte(l.cfg.Secret), rec)
	cutMu.Lock()
	negotiating = false
	cutMu.Unlock()
	stopCut()
	answer := rec.stop()
	if err != nil {
		if werr := wrongPort(answer, l.cfg.Addr); werr != nil {
			return fmt.Errorf("%w (the handshake: %v)", werr, err)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil {
			return fmt.Errorf("handshake: no answer from %s in %s: is xmpp.server the XMPP server's component port, and is the server well? (%w)", l.cfg.Addr, l.cfg.HandshakeTimeout, err)
		}
		return &handshakeFailed{handshakeError(err, l.cfg.Domain, l.cfg.SecretFrom)}
	}
	conn.SetDeadline(time.Time{})

	sctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	l.setUp(true)
	defer l.setUp(false)
	if down.since.IsZero() {
		log.Info("component link up")
	} else {
		log.Info("component link up", "down_for", time.Since(down.since).Round(time.Millisecond))
	}
	down.wasUp = true
	if l.cfg.OnUp != nil {
		ups.Go(l.cfg.OnUp)
	}

	gen := l.Generation()
	var wg sync.WaitGroup
	wg.Go(func() { stop(l.write(sctx, conn, gen, ctx.Done())) })
	wg.Go(func() { stop(l.ping(sctx)) })
	readErr := make(chan error, 1)
	// The reader hands stanzas to Handle: waited for at the end, once
	// the closed connection ends its read, so that none is handled after
	// the session (and Run) ended. Not on wg: it reads the answers the
	// writer's settling waits for.
	var reading sync.WaitGroup
	defer reading.Wait()
	readDone := make(chan struct{}) // closed as the reader returns
	reading.Go(func() {
		defer close(readDone)
		tr := sess.TokenReader()
		err := l.read(xml.NewTokenDecoder(tr))
		tr.Close()
		readErr <- err
	})
	select {
	case err = <-readErr:
		stop(err)
	case <-sctx.Done():
		err = context.Cause(sctx)
	}
	if ctx.Err() != nil {
		// A clean shutdown: the writer waits a moment for the server to
		// confirm what it wrote (so a stop leaves nothing to deliver
		// twice); then say goodbye so the server does not wait, and
		// read on until it says its own (close.go). A writer stuck on
		// a full socket is not waited for long.
		settled := make(chan struct{})
		// Ends with wg, which the session waits for below.
		go func() { wg.Wait(); close(settled) }()
		select {
		case <-settled:
		case <-time.After(2 * settleWait):
		}
		l.closeStream(sess, conn, readDone, log)
	}
	conn.Close()
	wg.Wait()
	return err
}

// failureKind tells a session's failures apart beyond Run's message: a
// failed handshake, and the stream error's condition. The network's
// failures are one kind (""): a link lost, then refused while the
// server restarts, is one outage, told once.
func failureKind(err error) string {
	kind := ""
	if errors.As(err, new(*handshakeFailed)) {
		kind = "handshake"
	}
	var se stream.Error
	if errors.As(err, &se) {
		kind += " " + se.Err
	}
	return kind
}

// handshakeFailed is an error of the handshake, the stream not up yet.
type handshakeFailed struct{ err error }

func (e *handshakeFailed) Error() string { return e.err.Error() }
func (e *handshakeFailed) Unwrap() error { return e.err }

// handshakeError is err, the server's refusal of the handshake as
// domain, with what the admin should check; secretFrom is Config's
// SecretFrom.
func handshakeError(err error, domain, secretFrom string) error {
	switch {
	case strings.Contains(err.Error(), "not-authorized"):
		// Prosody says not-authorized only for a wrong secret (an
		// unknown component is host-unknown, below); other servers may
		// say it for both.
		return fmt.Errorf("%w: %v: the component secret does not match the server's: check %s against the component_secret of Component %q in the server's config (on a server other than Prosody it may also mean no component %q is configured)", ErrAuth, err, secretKey(secretFrom), domain, domain)
	case errors.Is(err, stream.HostUnknown):
		// Like a wrong secret, only a change of config helps.
		return fmt.Errorf("%w: %v: the server has no component %q: add it to the server's config (Prosody: Component %q, with its component_secret), then restart Prosody (a reload does not add a Component), or check the transport's domain and that xmpp.server is that server", ErrAuth, err, domain, domain)
	case errors.Is(err, stream.Conflict):
		return fmt.Errorf("handshake: %w: another process is already connected as component %q: is another passerelle running with this transport?", err, domain)
	}
	return fmt.Errorf("handshake: %w", err)
}

// secretKey names the setting that gave the secret, from Config's
// SecretFrom ("secret", "secret_file PATH", "env NAME").
func secretKey(secretFrom string) string {
	switch f := strings.Fields(secretFrom); {
	case len(f) == 0:
		return "the transport's secret / secret_file"
	case f[0] == "secret":
		return "the transport's secret"
	case f[0] == "secret_file" && len(f) > 1:
		return "the transport's secret_file (" + strings.Join(f[1:], " ") + ")"
	case f[0] == "env" && len(f) > 1:
		return "the environment variable " + f[1]
	}
	return "the transport's secret / secret_file (" + secretFrom + ")"
}

func (l *Link) setUp(up bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if up == l.up {
		return
	}
	l.up = up
	if up {
		l.gen++
		close(l.upCh)
		return
	}
	l.upCh = make(chan struct{})
	for id, p := range l.iqs {
		close(p.ch)
		delete(l.iqs, id)
	}
}

// read is the read loop: decode a stanza, route it, repeat. It never runs
// handler work itself.
func (l *Link) read(d *xml.Decoder) error {
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return errors.New("the server closed the stream")
			}
			if closedMidStream(err) {
				// Prosody stopping or restarting drops the connection
				// without ending the stream: not an XML problem.
				return errors.New("the server closed the connection without ending the stream (stopped or restarted?)")
			}
			var se stream.Error
			if errors.As(err, &se) {
				return streamError(se)
			}
			return fmt.Errorf("read: %w", err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			if end, ok := tok.(xml.EndElement); ok && end.Name.Local == "stream" {
				return errors.New("the server closed the stream")
			}
			continue
		}
		if start.Name.Space == nsStream && start.Name.Local == "error" {
			var se stream.Error
			d.DecodeElement(&se, &start)
			return streamError(se)
		}
		st, err := wire.Decode(d, &start)
		if err != nil {
			return err
		}
		if l.ownPing(st) {
			// A ping of the link's come back: its answer, whether still
			// awaited or given up on; never the handler's.
			l.mu.Lock()
			p, ok := l.iqs[st.ID()]
			if ok && p.to == l.cfg.Domain {
				delete(l.iqs, st.ID())
			}
			l.mu.Unlock()
			if ok && p.to == l.cfg.Domain {
				p.ch <- st
			}
			continue
		}
		if st.Kind() == "iq" && (st.Type() == "result" || st.Type() == "error") {
			l.mu.Lock()
			p, ok := l.iqs[st.ID()]
			if ok && l.answers(p.to, st.From()) {
				delete(l.iqs, st.ID())
			} else if ok {
				ok = false
				l.cfg.Log.Warn("IQ answer from an address not asked; not taken as the answer", "id", st.ID(), "asked", p.to, "from", st.From())
			}
			l.mu.Unlock()
			if ok {
				p.ch <- st
				continue
			}
		}
		l.cfg.Handle(st)
	}
}

// streamError is the link's error for the server's stream error se: its
// condition and its first non-empty <text/>, what the server says was
// wrong beyond the condition.
func streamError(se stream.Error) error {
	if se.Err == "" {
		se.Err = stream.UndefinedCondition.Err
	}
	if se.Err == stream.SeeOtherHost.Err {
		if host := strings.TrimSpace(se.Content); host != "" {
			return fmt.Errorf("stream error from the server: %w: it names %s", se, strconv.Quote(host))
		}
	}
	for _, t := range se.Text {
		if t.Value != "" {
			return fmt.Errorf("stream error from the server: %w: %s", se, strconv.Quote(t.Value))
		}
	}
	return fmt.Errorf("stream error from the server: %w", se)
}

// pendingIQ is an IQ of the gateway's waiting for its answer: where the
// answer goes, and the address it was sent to.
type pendingIQ struct {
	ch chan *wire.Stanza
	to string
}

// answers reports whether from may answer an IQ sent to to: the address
// asked or its bare JID (the server answers for an offline resource, and
// for an account, as a privileged IQ's), or the server itself (RFC 6120
// 8.1.2.1). Anyone may send the component an iq result with an id they
// guess, but the server stamps its from: a user's answer to another's
// upload slot request would get them that user's files.
func (l *Link) answers(to, from string) bool {
	if from == "" || from == to || from == l.ServerDomain() {
		return true
	}
	tj, err1 := jid.Parse(to)
	fj, err2 := jid.Parse(from)
	if err1 != nil || err2 != nil {
		return false
	}
	return fj.Equal(tj) || fj.Equal(tj.Bare())
}

// closedMidStream reports whether err is the connection ending inside
// the stream: the XML decoder's "unexpected EOF".
func closedMidStream(err error) bool {
	var se *xml.SyntaxError
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &se) && se.Msg == "unexpected EOF"
}

// write is the one writer: it takes whatever is queued, writes it in one
// buffer and flushes when the queue runs dry. It writes the barrier
// pings of connection gen (see SendConfirmed); once stopping (closed),
// it waits a moment for the last answer.
func (l *Link) write(ctx context.Context, conn net.Conn, gen uint64, stopping <-chan struct{}) error {
	bw := bufio.NewWriterSize(conn, 64<<10)
	b := &barrier{l: l}
	defer b.fail()
	var batch []outItem
	finish := func(kept []outItem, err error) {
		for _, it := range kept {
			if it.done != nil {
				it.done(err)
			}
			if it.confirmed != nil {
				// Not written, or written: either way the barrier tells
				// (fail, when the connection ends).
				b.written = append(b.written, it.confirmed)
			}
		}
		batch = batch[:0]
	}
	for {
		select {
		case <-l.q.ready:
			if batch = l.q.take(batch, maxBatch); len(batch) == 0 {
				continue // taken already with the wake before
			}
		case st := <-b.answer:
			b.answered(st)
			conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
			if err := b.ping(bw); err != nil {
				return fmt.Errorf("write: %w", err)
			}
			continue
		case <-ctx.Done():
			select {
			case <-stopping:
				// A clean stop: what was queued before it is written
				// too, for a moment at most, then confirmed (settle).
				// Dropped, a stanza whose sender was told it was queued
				// (a reply, a presence, a logout's roster clean-up)
				// was lost, and its done never called.
				conn.SetWriteDeadline(time.Now().Add(settleWait))
				batch = l.q.take(batch, queueSize)
				if l.writeBatch(bw, gen, batch, finish) == nil {
					b.settle(bw, conn)
				}
			default:
			}
			return ctx.Err()
		}
		conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
		err := l.writeBatch(bw, gen, batch, finish)
		if err == nil {
			err = b.ping(bw)
		}
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
}

// writeBatch writes batch's stanzas of connection gen and flushes; then
// finish hears how it went. A stanza queued for a connection that is
// gone is not written: its sender sends it again, in its order, on this
// one.
func (l *Link) writeBatch(bw *bufio.Writer, gen uint64, batch []outItem, finish func([]outItem, error)) error {
	var err error
	kept := batch[:0]
	for _, it := range batch {
		if it.gen != 0 && it.gen != gen {
			if it.confirmed != nil {
				it.confirmed(ErrDown)
			}
			continue
		}
		kept = append(kept, it)
		if err == nil {
			_, err = bw.Write(l.fit(it.data)) // toolarge.go
		}
	}
	if err == nil {
		err = bw.Flush()
	}
	finish(kept, err)
	return err
}

// maxBatch bounds the stanzas the writer writes before it flushes.
const maxBatch = 512

// failQueued tells the senders of what is still queued once Run ended
// that it was not written, and has the queue refuse what comes after:
// none waits for a done that never comes.
func (l *Link) failQueued() {
	for _, it := range l.q.close() {
		if it.done != nil {
			it.done(ErrDown)
		}
		if it.confirmed != nil {
			it.confirmed(ErrDown)
		}
	}
}

// pingTo is where the link's pings go: the component's own domain. The
// server routes it back on this very stream, so its coming back proves
// the server handled what was written before it. The domain less its
// first label need not be one the server hosts (wa.im.example.org on a
// server of example.org): a ping there would go server-to-server, and a
// slow failure would outlast the ping timeout and drop the link.
func (l *Link) pingTo() string { return l.cfg.Domain }

// ownPing reports whether st is one of the link's own pings routed back
// to it by the server (see pingTo).
func (l *Link) ownPing(st *wire.Stanza) bool {
	return st.Kind() == "iq" && st.Type() == "get" && st.From() == l.cfg.Domain &&
		st.To() == l.cfg.Domain && st.Child(wire.NSPing, "ping") != nil
}

// ping is the XEP-0199 watchdog: a server that stops answering is treated
// as gone, even when TCP has not noticed.
func (l *Link) ping(ctx context.Context) error {
	target := l.pingTo()
	t := time.NewTicker(l.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
		id := l.NewID()
		var w wire.Writer
		w.Start("iq", "").Attr("from", l.cfg.Domain).Attr("to", target).Attr("id", id).Attr("type", "get").Leaf("ping", wire.NSPing, "")
		pctx, cancel := context.WithTimeout(ctx, l.cfg.PingTimeout)
		_, err := l.IQ(pctx, id, w.Bytes())
		cancel()
		if err != nil && ctx.Err() == nil {
			// Any answer, even an error, proves the link alive.
			return fmt.Errorf("ping %s: no answer in %s: %w", target, l.cfg.PingTimeout, err)
		}
	}
}
