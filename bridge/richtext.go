package bridge

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"passerelle.im/passerelle/bridge/format"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Namespaces of formatted text: XEP-0372 (References), for mentions, and
// XEP-0382 (Spoiler messages).
const (
	nsReference = "urn:xmpp:reference:0"
	nsSpoiler   = "urn:xmpp:spoiler:0"
)

// userText is what the plugin gets of a body the user typed: for a
// network that takes formatted text, the text without the XEP-0393
// directives and the spans they meant, and, when the message is marked
// as a spoiler (XEP-0382's <spoiler/>, spoiler true), one spoiler span
// over the whole text; for any other, the body as typed (its directives
// are the only styling it keeps). The spoiler's hint is not carried: no
// network has a place for one. A subject (userMessage.subject) that body
// begins with is plain text, not XEP-0393's: it goes as typed, bold.
func userText(caps *pb.Features, body, subject string, spoiler bool) (string, []*pb.Span) {
	if !caps.GetFormatting() {
		return body, nil
	}
	var text string
	var spans []*pb.Span
	if rest, ok := strings.CutPrefix(body, subject); subject != "" && ok && len(body) <= math.MaxUint32 {
		text, spans = format.Parse(strings.TrimPrefix(rest, "\n"))
		head := subject
		if text != "" {
			head += "\n"
		}
		for _, sp := range spans {
			sp.Start += uint32(len(head))
			sp.End += uint32(len(head))
		}
		text = head + text
		spans = append([]*pb.Span{{Start: 0, End: uint32(len(subject)), Style: pb.Span_STYLE_BOLD}}, spans...)
	} else {
		text, spans = format.Parse(body)
	}
	if spoiler {
		spans = format.Spoiled(text, spans)
	}
	return text, spans
}

// isSpoiler reports whether e is XEP-0382's <spoiler/>, which marks the
// whole body of its message as a spoiler.
func isSpoiler(e *wire.Element) bool {
	return e.XMLName.Space == nsSpoiler && e.XMLName.Local == "spoiler"
}

// richText renders a network text and its spans as an XMPP body
// (XEP-0393 styling, readable as plain text). A mention of a raw user ID
// reads as the contact's name where the gateway knows it.
//
// Links read "text (url)" and mentions of raw IDs "@name": a body that
// grows so past an eighth of the stanza limit (the longest plain text)
// and, escaped, past five eighths of it is sent as the plain text
// instead, logged. (Escaped, a text may grow sixfold, "'" being
// "&apos;": five eighths is below what the longest plain text may take,
// which leaves the rendered body's references room besides.) Else a
// text with its links' URLs, or a thousand mentions read as a long name,
// made the message too large for the server, and it was lost.
func (c chatOut) richText(text string, spans []*pb.Span) format.Rendered {
	if len(spans) == 0 {
		return format.Rendered{Body: text}
	}
	r := format.Render(text, spans, func(userID string) string {
		p, err := c.t.db.GetPuppet(c.t.name, c.ev.LoginId, userID)
		if err != nil {
			return ""
		}
		return p.Name
	})
	limit := c.t.stanzaLimit() / 8 * 5
	if len(r.Body) > len(text) && len(r.Body) > limit/5 && len(wire.EscapeAttr(r.Body)) > limit {
		c.t.log.Warn("formatted text too long for a stanza; sent plain", "login", c.ev.LoginId, "chat", c.ev.ChatId, "event", c.ev.EventId, "bytes", len(r.Body))
		return format.Rendered{Body: text}
	}
	return r
}

// annotate adds what a rendered text has beyond its body, for the body
// it ended up in (what the gateway put before r.Body, a reply's quote or
// "You wrote from another device: ", shifts the ranges): a XEP-0372
// reference for each mention, naming the puppet of the user mentioned
// (one whose ID has no JID is left out; its text stays), and a XEP-0382
// spoiler when one spoiler is the whole body (XEP-0393 cannot hide a
// part).
func (c chatOut) annotate(w *wire.Writer, r format.Rendered, body string) {
	if len(r.Mentions) == 0 && len(r.Spoilers) == 0 {
		return
	}
	n := utf8.RuneCountInString(r.Body)
	shift := utf8.RuneCountInString(body) - n
	if shift == 0 && len(r.Spoilers) == 1 && r.Spoilers[0] == (format.Range{Begin: 0, End: n}) {
		w.Leaf("spoiler", nsSpoiler, "")
	}
	budget := c.t.stanzaLimit() / 4
	for i, m := range r.Mentions {
		pj, err := c.t.puppetJID(m.UserID)
		if err != nil {
			c.t.log.Debug("mention of a user ID with no JID; no reference", "user_id", m.UserID, "err", err)
			continue
		}
		uri := wire.XMPPURI(pj.String(), "")
		if budget -= len(uri) + referenceBytes; budget < 0 {
			// The body may take most of the stanza already: a thousand
			// references to long IDs made the message too large for
			// the server. The mentions' text stays.
			c.t.log.Warn("mentions too many for a stanza; the rest without a reference", "login", c.ev.LoginId, "chat", c.ev.ChatId, "left_out", len(r.Mentions)-i)
			return
		}
		w.Start("reference", nsReference).Attr("type", "mention").
			Attr("begin", strconv.Itoa(m.Begin+shift)).Attr("end", strconv.Itoa(m.End+shift)).
			Attr("uri", uri).End()
	}
}

// referenceBytes is about what a mention's reference element takes
// besides its URI.
const referenceBytes = 100
