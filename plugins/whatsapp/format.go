package whatsapp

import (
	"slices"
	"strings"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The plugin declares formatting: the user's text comes without its
// XEP-0393 markup, with spans. WhatsApp's own markup is nearly XEP-0393's
// (*bold*, _italic_, ~strike~, `code`, ```pre```, "> " quotes), so spans
// go back to markup on the way out, and mentions become WhatsApp's
// "@<number>" with the mentioned JIDs beside the text. Incoming text keeps
// WhatsApp's markup as it is (XEP-0393 clients render it) and carries
// only mention spans.

// sortSpans orders spans by start, the longest first at equal starts.
func sortSpans(spans []*pb.Span) {
	slices.SortStableFunc(spans, func(a, b *pb.Span) int {
		if a.Start != b.Start {
			return int(a.Start) - int(b.Start)
		}
		return int(b.End) - int(a.End)
	})
}

// renderOut is text with its spans written as WhatsApp markup. A mention
// span's text is replaced by "@<number>" and its JID string returned in
// mentions: resolve turns a user ID into that JID ("" leaves the text as
// it is, a mention of someone WhatsApp does not know). Spans out of range
// are ignored, never a panic: the host checked them, but the plugin does
// not trust them.
func renderOut(text string, spans []*pb.Span, resolve func(userID string) (user, jid string)) (out string, mentions []string) {
	type mark struct {
		at    int
		open  bool
		s     string
		order int
	}
	var marks []mark
	replace := map[int]struct {
		end  int
		with string
	}{}
	for i, sp := range spans {
		start, end := int(sp.Start), int(sp.End)
		if start < 0 || end > len(text) || start >= end {
			continue
		}
		var open, close string
		switch sp.Style {
		case pb.Span_STYLE_BOLD:
			open, close = "*", "*"
		case pb.Span_STYLE_ITALIC:
			open, close = "_", "_"
		case pb.Span_STYLE_STRIKE:
			open, close = "~", "~"
		case pb.Span_STYLE_CODE:
			open, close = "`", "`"
		case pb.Span_STYLE_PRE:
			open, close = "```", "```"
		case pb.Span_STYLE_SPOILER:
			// WhatsApp's newer apps hide a whole message as a spoiler,
			// a wrapper the pinned whatsmeow does not know (wrappers.go;
			// SendMessage wraps a text that is one whole), not a part
			// of one: the text as it is.
		case pb.Span_STYLE_LINK:
			if sp.Url != "" && sp.Url != text[start:end] {
				close = " (" + sp.Url + ")"
			}
		case pb.Span_STYLE_MENTION:
			user, jid := resolve(sp.UserId)
			if jid != "" {
				mentions = append(mentions, jid)
				replace[start] = struct {
					end  int
					with string
				}{end, "@" + user}
			}
		case pb.Span_STYLE_QUOTE:
			// Quotes are line prefixes, written below.
			continue
		}
		if open != "" {
			marks = append(marks, mark{start, true, open, i})
		}
		if close != "" {
			marks = append(marks, mark{end, false, close, i})
		}
	}
	// At one offset, closes come before opens, inner closes first.
	slices.SortStableFunc(marks, func(a, b mark) int {
		if a.at != b.at {
			return a.at - b.at
		}
		if a.open != b.open {
			if a.open {
				return 1
			}
			return -1
		}
		if a.open {
			return a.order - b.order
		}
		return b.order - a.order
	})
	quoted := quotedLines(text, spans)
	var b strings.Builder
	m := 0
	for i := 0; i <= len(text); {
		for m < len(marks) && marks[m].at == i {
			b.WriteString(marks[m].s)
			m++
		}
		if i == len(text) {
			break
		}
		if quoted[i] {
			b.WriteString("> ")
		}
		if r, ok := replace[i]; ok {
			b.WriteString(r.with)
			// Marks inside a replaced mention are dropped.
			for m < len(marks) && marks[m].at < r.end {
				m++
			}
			i = r.end
			continue
		}
		b.WriteByte(text[i])
		i++
	}
	return b.String(), mentions
}

// quotedLines marks the byte offsets where a quoted line starts.
func quotedLines(text string, spans []*pb.Span) map[int]bool {
	q := map[int]bool{}
	for _, sp := range spans {
		if sp.Style != pb.Span_STYLE_QUOTE || int(sp.End) > len(text) || sp.Start >= sp.End {
			continue
		}
		q[int(sp.Start)] = true
		for i := int(sp.Start); i < int(sp.End)-1; i++ {
			if text[i] == '\n' {
				q[i+1] = true
			}
		}
	}
	return q
}
