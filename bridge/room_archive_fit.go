package bridge

import (
	"encoding/xml"
	"unicode/utf8"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/store"
)

// A room's message over store.MaxArchivePayload was refused by the
// archive: it went out without a stanza-id, and the room's history (MAM,
// a join's history) had a hole where it was. The reflection of the
// user's own message is the client's stanza as it came, up to the
// server's stanza limit, and a text grows when written again: a 60 KB
// body of quotes (one byte each as the client may send them, "&apos;"
// written) is 360 KB. The network's texts are cut to an eighth of the
// stanza limit (netinput.go), which escaped may be more than the
// archive's. Such a message is archived cut (fitArchived): its small
// parts (ids, a reply's reference, a file's address, markers) as they
// came, its large ones left out, its body cut, the cut said in the body,
// and the ranges of the body its parts name (mentions, a reply's quote,
// markup) kept within what is left of the body (room_archive_ranges.go).
// The live copies go out whole.

// maxKeptPart is the largest part of an oversized message its archived
// form keeps as it came: ids, a reply's reference, a file's address; a
// rich-text copy of the body, an inline thumbnail go.
const maxKeptPart = 8 << 10

// archiveCutNote ends the body of a message archived cut.
const archiveCutNote = "[this message was too large for the room's archive: it is kept cut]"

// fitArchived is what the room's archive keeps of payload, a message's
// stanza: payload itself when it fits, else its cut form, at most
// store.MaxArchivePayload (nil when payload is no stanza: the archive
// refuses it, as before).
func fitArchived(payload []byte) []byte {
	if len(payload) <= store.MaxArchivePayload {
		return payload
	}
	st, err := wire.Parse(string(payload))
	if err != nil {
		return payload
	}
	body, _ := st.Body()
	// The small parts, in order, up to a quarter of the limit in all;
	// the body, written cut, takes the rest.
	var kept []wire.Element
	room := store.MaxArchivePayload / 4
	for _, c := range st.Children {
		if isBody(&c) {
			continue
		}
		var w wire.Writer
		writeClientElement(&w, &c)
		if n := len(w.Bytes()); n <= maxKeptPart && n <= room {
			kept, room = append(kept, c), room-n
		}
	}
	// Escaped, a text may take up to six times its bytes ("'" is
	// "&apos;"): halved until the whole fits.
	for limit := store.MaxArchivePayload / 2; ; limit /= 2 {
		text, n := body, len(body)
		if len(text) > limit {
			var mark string
			n, mark = cutPoint(text, limit, true)
			text = text[:n] + mark
		}
		if text != "" {
			text += "\n"
		}
		text += archiveCutNote
		e := st.Element
		e.Text = ""
		e.Children = append([]wire.Element{{XMLName: xml.Name{Local: "body"}, Text: text}}, fitRanges(kept, utf8.RuneCountInString(body[:n]))...)
		var w wire.Writer
		writeClientElement(&w, &e)
		if b := w.Bytes(); len(b) <= store.MaxArchivePayload || limit < 1<<10 {
			return b
		}
	}
}

// isBody reports whether e is a message's body.
func isBody(e *wire.Element) bool {
	ns := e.XMLName.Space
	return e.XMLName.Local == "body" && (ns == "" || ns == "jabber:client" || ns == "jabber:component:accept")
}
