package bridge

import (
	"slices"
	"strconv"

	"passerelle.im/passerelle/bridge/wire"
)

// nsMarkup is XEP-0394 (Message Markup): spans, code blocks, lists and
// quotes of a body, by character ranges.
const nsMarkup = "urn:xmpp:markup:0"

// fitRanges is the parts of a message archived cut (fitArchived) with
// the body ranges they name kept within the n characters (code points,
// XEP-0426) left of the body before the cut mark: a mention (XEP-0372
// reference), a fallback's range (XEP-0428: a reply's quote, XEP-0461),
// a markup span (XEP-0394). A range that begins past the cut goes, one
// across it ends there; a part left with no range goes. Else a client
// reading the archive styled or hid the cut mark and the note, or,
// where a range ran past the end, misread the whole message (Gajim
// drops a fallback it cannot apply). Parts are copied, not changed.
func fitRanges(parts []wire.Element, n int) []wire.Element {
	out := make([]wire.Element, 0, len(parts))
	for _, p := range parts {
		switch {
		case p.XMLName.Space == nsReference && p.XMLName.Local == "reference":
			if p.Attr("begin") == "" && p.Attr("end") == "" {
				break // of the whole message: a file's
			}
			var ok bool
			if p, ok = fitRange(p, "begin", "end", n); !ok {
				continue
			}
		case (p.XMLName.Space == nsFallback || p.XMLName.Space == nsFallbackOld) && p.XMLName.Local == "fallback",
			p.XMLName.Space == nsMarkup && p.XMLName.Local == "markup":
			var ok bool
			if p, ok = fitRangeChildren(p, n); !ok {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

// fitRangeChildren keeps e's ranged children within n characters: a
// fallback's <body/> ranges (its <subject/> ones name the subject, not
// cut), a markup's spans, blocks and lists, and a list's items. It
// reports false when e had ranges and none is left.
func fitRangeChildren(e wire.Element, n int) (wire.Element, bool) {
	if len(e.Children) == 0 {
		return e, true // a fallback of the whole body (a retraction's)
	}
	kids := make([]wire.Element, 0, len(e.Children))
	for _, c := range e.Children {
		switch {
		case e.XMLName.Local == "fallback" && c.XMLName.Local != "body":
		case c.Attr("start") == "" && c.Attr("end") == "":
			// A fallback's <body/> without a range is the whole body.
		default:
			var ok bool
			if c, ok = fitRange(c, "start", "end", n); !ok {
				continue
			}
			if c.XMLName.Local == "list" {
				if c, ok = fitRangeChildren(c, n); !ok {
					continue
				}
			}
		}
		kids = append(kids, c)
	}
	if len(kids) == 0 {
		return e, false
	}
	e.Children = kids
	return e, true
}

// fitRange keeps e's range [begin, end) within n characters: false when
// it begins at or past n (or is no range), else e with its end at most
// n. A list item has a start only.
func fitRange(e wire.Element, begin, end string, n int) (wire.Element, bool) {
	b, err := strconv.Atoi(e.Attr(begin))
	if err != nil || b < 0 || b >= n {
		return e, false
	}
	v := e.Attr(end)
	if v == "" {
		return e, true
	}
	if x, err := strconv.Atoi(v); err == nil && x <= n {
		return e, true
	}
	e.Attrs = slices.Clone(e.Attrs)
	for i, a := range e.Attrs {
		if a.Name.Local == end && a.Name.Space == "" {
			e.Attrs[i].Value = strconv.Itoa(n)
		}
	}
	return e, true
}
