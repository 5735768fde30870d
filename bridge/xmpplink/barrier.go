package xmpplink

import (
	"bufio"
	"net"
	"time"

	"passerelle.im/passerelle/bridge/wire"
)

// barrier tells the senders of SendConfirmed stanzas when the server has
// handled them: one connection's pings written after them (see
// SendConfirmed). Only the connection's writer uses it.
type barrier struct {
	l *Link
	// written are the stanzas written since the ping in flight, covered
	// by the next one; covered are those the ping in flight covers.
	written, covered []func(error)
	id               string
	answer           chan *wire.Stanza // the ping in flight's answer; nil when none is
}

// ping writes a ping covering what was written since the last one, unless
// one is in flight (its answer sends the next) or nothing is to cover.
func (b *barrier) ping(bw *bufio.Writer) error {
	if b.answer != nil || len(b.written) == 0 {
		return nil
	}
	b.id = b.l.NewID()
	b.answer = make(chan *wire.Stanza, 1)
	b.l.mu.Lock()
	b.l.iqs[b.id] = pendingIQ{ch: b.answer, to: b.l.pingTo()}
	b.l.mu.Unlock()
	b.covered, b.written = b.written, nil
	var w wire.Writer
	w.Start("iq", "").Attr("from", b.l.cfg.Domain).Attr("to", b.l.pingTo()).Attr("id", b.id).Attr("type", "get").Leaf("ping", wire.NSPing, "")
	if _, err := bw.Write(w.Bytes()); err != nil {
		return err
	}
	return bw.Flush()
}

// answered confirms what the ping in flight covers. Any answer, an error
// too, comes after the server handled the stanzas before the ping.
func (b *barrier) answered(st *wire.Stanza) {
	b.answer = nil
	cbs := b.covered
	b.covered = nil
	var err error
	if st == nil { // the link went down first
		err = ErrDown
	}
	for _, cb := range cbs {
		cb(err)
	}
}

// settleWait bounds how long a clean stop waits for the server to
// confirm what was written.
const settleWait = time.Second

// settle, at a clean stop, has the server confirm what was written, for a
// moment at most.
func (b *barrier) settle(bw *bufio.Writer, conn net.Conn) {
	conn.SetWriteDeadline(time.Now().Add(settleWait))
	deadline := time.After(settleWait)
	for b.answer != nil || len(b.written) > 0 {
		if err := b.ping(bw); err != nil {
			return
		}
		select {
		case st := <-b.answer:
			b.answered(st)
		case <-deadline:
			return
		}
	}
}

// fail ends the connection's barrier: what was not confirmed is not. The
// link is marked down first, so that a sender told ErrDown finds it down
// and waits for the next connection.
func (b *barrier) fail() {
	b.l.setUp(false)
	if b.answer != nil {
		b.l.mu.Lock()
		delete(b.l.iqs, b.id)
		b.l.mu.Unlock()
	}
	for _, cb := range append(b.covered, b.written...) {
		cb(ErrDown)
	}
	b.covered, b.written, b.answer = nil, nil, nil
}
