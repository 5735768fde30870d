package irc

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"
)

// Some servers and bouncers welcome a login (001) and never end a
// message of the day: neither 376 nor 422 comes. irc-go ends its
// registration only at one of them, so such a login waited for its
// timeout and was never connected. biboumi and WeeChat take the welcome
// itself as the end of the registration (they join at 001; irssi counts
// the connection up there too). Here the lines that follow the welcome
// are still awaited (005, ISUPPORT, tells the casemapping and the
// channel types), and once the server has been quiet for motdQuiet
// after its welcome with no end of its MOTD, a 422 ("no MOTD") is read
// in its place: irc-go then ends its registration as for any server.

// motdQuiet is how long a server may stay quiet after its welcome before
// its MOTD is taken as ended (less where the connection's timeout is
// short: a third of it).
const motdQuiet = 2 * time.Second

// motdImplied is the text of the 422 read in place of an end of the MOTD
// that never came.
const motdImplied = "passerelle: the server ended no message of the day; taken as ended"

// quietConn is a connection whose reads can take a line of the
// plugin's own between the server's lines, where the server stays
// quiet: until the MOTD ended, the server's bytes go through a pipe,
// which a read blocked on the server leaves free; then reads go to the
// connection again, as on any connection.
type quietConn struct {
	net.Conn
	pr *io.PipeReader
	pw *io.PipeWriter
	// mu orders the pipe's writers (the server's bytes, the plugin's
	// line) and guards last and lineEnd.
	mu      sync.Mutex
	last    time.Time // when the server's last bytes came
	lineEnd bool      // they ended a line
	ended   atomic.Bool
	done    chan struct{}
	once    sync.Once
	direct  bool // reads go to the connection (Read's alone)
}

// errDirect ends the pipe once the pump is done: the reads after it go
// to the connection.
var errDirect = errors.New("irc: reads go to the connection")

func newQuietConn(c net.Conn) *quietConn {
	pr, pw := io.Pipe()
	q := &quietConn{Conn: c, pr: pr, pw: pw, last: time.Now(), lineEnd: true, done: make(chan struct{})}
	go q.pump()
	return q
}

// pump passes the server's bytes on, and its read's error (io.EOF: it
// closed the connection) as the pipe's.
func (q *quietConn) pump() {
	buf := make([]byte, 4096)
	for {
		n, err := q.Conn.Read(buf)
		if n > 0 {
			q.mu.Lock()
			q.last, q.lineEnd = time.Now(), buf[n-1] == '\n'
			_, werr := q.pw.Write(buf[:n])
			q.mu.Unlock()
			if werr != nil {
				return
			}
		}
		if err != nil {
			q.pw.CloseWithError(err)
			return
		}
		if q.ended.Load() {
			// What it read is read; the rest from the connection.
			q.pw.CloseWithError(errDirect)
			return
		}
	}
}

func (q *quietConn) Read(b []byte) (int, error) {
	if q.direct {
		return q.Conn.Read(b)
	}
	n, err := q.pr.Read(b)
	if errors.Is(err, errDirect) {
		q.direct = true
		return q.Conn.Read(b)
	}
	return n, err
}

func (q *quietConn) Close() error {
	q.once.Do(func() { close(q.done) })
	err := q.Conn.Close()
	q.pr.Close()
	return err
}

// motdEnded notes that the server ended its MOTD (376, 422).
func (q *quietConn) motdEnded() { q.ended.Store(true) }

// welcomed waits, once the server welcomed the login, for it to end its
// MOTD; where it stays quiet for quiet first, with a whole line read
// last, line (a 422) is read as the server's, and implied is called.
func (q *quietConn) welcomed(quiet time.Duration, line string, implied func()) {
	go func() {
		t := time.NewTimer(quiet)
		defer t.Stop()
		for {
			select {
			case <-q.done:
				return
			case <-t.C:
			}
			if q.ended.Load() {
				return
			}
			q.mu.Lock()
			wait := quiet - time.Since(q.last)
			if wait > 0 || !q.lineEnd {
				q.mu.Unlock()
				t.Reset(max(wait, quiet/10))
				continue
			}
			q.ended.Store(true)
			_, err := q.pw.Write([]byte(line))
			q.mu.Unlock()
			if err == nil {
				implied()
			}
			return
		}
	}()
}

// handleMOTDless arms, at the server's welcome, the wait for an end of
// its MOTD (above).
func (s *Session) handleMOTDless(c *ircevent.Connection) {
	quiet := func() *quietConn {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.attempt == nil {
			return nil
		}
		return s.attempt.quiet
	}
	s.on(c, ircevent.RPL_WELCOME, func(m ircmsg.Message) {
		q := quiet()
		if q == nil || len(m.Params) == 0 {
			return
		}
		line := "422 " + m.Params[0] + " :" + motdImplied + "\r\n"
		if m.Source != "" {
			line = ":" + m.Source + " " + line
		}
		q.welcomed(min(motdQuiet, s.n.cfg.timeout()/3), line, func() {
			s.n.host.Logger().Info("irc: the server ended no message of the day after its welcome; taken as ended", "login", s.loginID, "quiet", min(motdQuiet, s.n.cfg.timeout()/3))
		})
	})
	for _, code := range []string{ircevent.RPL_ENDOFMOTD, ircevent.ERR_NOMOTD} {
		s.on(c, code, func(ircmsg.Message) {
			if q := quiet(); q != nil {
				q.motdEnded()
			}
		})
	}
}
