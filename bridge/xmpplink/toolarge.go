package xmpplink

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"

	"passerelle.im/passerelle/bridge/wire"
)

// DefaultMaxStanzaBytes is Config.MaxStanzaBytes when not set: Prosody's
// default stanza size limit on a component stream.
const DefaultMaxStanzaBytes = 512 << 10

// fit returns what to write for data: data itself when it fits in the
// server's stanza size limit; else a small stand-in, or nil (nothing).
// A larger stanza makes the server close the stream (Prosody: "not
// well-formed"), and the gateway, which writes again what a lost
// connection left unconfirmed, would write it again on the next one,
// forever: one big message, name or avatar from a network would stop
// the transport for every user. The stand-in of a message tells its
// recipient that one was not delivered; that of an IQ result is an
// error, so the requester is not left waiting; anything else is dropped
// (a request of the gateway's own gets its error answer: answerUnsent).
// Each is logged and counted (OnTooLarge); the caller treats the
// stanza as written.
func (l *Link) fit(data []byte) []byte {
	limit := l.cfg.MaxStanzaBytes
	if limit <= 0 {
		limit = DefaultMaxStanzaBytes
	}
	if len(data) <= limit {
		return data
	}
	kind, to, typ, id := "unknown", "", "", ""
	var out []byte
	if st := head(data); st != nil {
		kind, to, typ, id = st.Kind(), st.To(), st.Type(), st.ID()
		out = standIn(st, len(data), limit)
		if kind == "iq" && (typ == "get" || typ == "set") {
			l.answerUnsent(st, len(data), limit)
		}
	}
	l.cfg.Log.Warn("stanza too large for the XMPP server; not written", "kind", kind, "to", to, "type", typ,
		"id", id, "bytes", len(data), "limit", limit, "replaced", out != nil)
	if l.cfg.OnTooLarge != nil {
		l.cfg.OnTooLarge(kind)
	}
	return out
}

// head is the stanza's top element with its attributes and no content,
// or nil when data does not start with one.
func head(data []byte) *wire.Stanza {
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.RawToken()
		if err != nil {
			return nil
		}
		if start, ok := tok.(xml.StartElement); ok {
			return &wire.Stanza{Element: wire.Element{XMLName: start.Name, Attrs: start.Attr}}
		}
	}
}

// answerUnsent gives the gateway's own request st, not written, its
// error answer at once if IQ waits for one: an avatar or roster push over
// the limit would otherwise keep its sender waiting for its whole
// timeout, for an answer that cannot come.
func (l *Link) answerUnsent(st *wire.Stanza, n, limit int) {
	l.mu.Lock()
	p, ok := l.iqs[st.ID()]
	delete(l.iqs, st.ID())
	ch := p.ch
	l.mu.Unlock()
	if !ok {
		return
	}
	note := fmt.Sprintf("The gateway did not send its request of %d bytes: the XMPP server takes at most %d.", n, limit)
	ans, err := wire.Parse(string(wire.ErrorReply(st, wire.PolicyViolation, note)))
	if err != nil {
		close(ch) // read as ErrDown: still no waiting
		return
	}
	ch <- ans
}

// standIn is what replaces a stanza of n bytes over limit, or nil.
func standIn(st *wire.Stanza, n, limit int) []byte {
	note := fmt.Sprintf("The gateway did not deliver a stanza of %d bytes: the XMPP server takes at most %d.", n, limit)
	switch st.Kind() {
	case "iq":
		if st.Type() != "result" {
			return nil
		}
		// ErrorReply answers the stanza's sender: turn it around first.
		req := &wire.Stanza{Element: wire.Element{XMLName: st.XMLName}}
		req.Attrs = append(req.Attrs, xml.Attr{Name: xml.Name{Local: "from"}, Value: st.To()},
			xml.Attr{Name: xml.Name{Local: "to"}, Value: st.From()}, xml.Attr{Name: xml.Name{Local: "id"}, Value: st.ID()})
		return wire.ErrorReply(req, wire.PolicyViolation, note)
	case "message":
		if !strings.Contains(st.To(), "@") || st.Type() == "error" {
			return nil // to the server itself (a privileged wrapper), or an error: no one to tell
		}
		var w wire.Writer
		w.Start("message", "").Attr("from", st.From()).Attr("to", st.To()).Attr("type", st.Type()).Attr("id", st.ID())
		return w.Leaf("body", "", "["+note+"]").Bytes()
	}
	return nil
}
