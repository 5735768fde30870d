package xmpplink

import (
	"log/slog"
	"net"
	"time"

	"mellium.im/xmpp"
)

// closeWait bounds how long a clean stop reads on after its
// </stream:stream> for the server's own: a server that never closes
// does not hold the stop.
const closeWait = 2 * settleWait

// closeStream ends a clean stop's stream as RFC 6120 §4.4 asks: it sends
// the closing tag, then reads on until the server closes its side (read
// ends: the reader has returned), for closeWait at most. A stanza the
// server sent before its close, read or not yet (a user's message it
// routed just before it read ours, which it does not bounce), still
// reaches Handle: before, the socket closed at once and such a stanza
// was lost without a word.
func (l *Link) closeStream(sess *xmpp.Session, conn net.Conn, read <-chan struct{}, log *slog.Logger) {
	conn.SetWriteDeadline(time.Now().Add(time.Second))
	if err := sess.Close(); err != nil {
		// The server did not get our close: it will not answer it.
		return
	}
	if l.afterStreamClose != nil {
		l.afterStreamClose()
	}
	// Past the bound, the reader's read ends too (the caller waits for
	// it): a Handle that runs long is not cut by conn.Close.
	conn.SetReadDeadline(time.Now().Add(closeWait))
	select {
	case <-read:
	case <-time.After(closeWait):
		log.Warn("the XMPP server did not end the stream after the gateway ended its own; connection closed: a stanza it sent after this is lost", "wait", closeWait)
	}
}
