package echo

import (
	"bytes"
	"strings"
	"unicode"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Message metadata: a real network's message ID is not always enough to
// act on the message later (WhatsApp also needs its sender and from-me
// flag). The echo network plays that part: every message it makes
// carries metadata (sdk.Result.Meta, pb.Event.Meta) that the gateway
// stores and must hand back with any command naming the message, or the
// command is refused.

// metaFor is the metadata of the message id. The NUL is there because
// metadata is bytes, not text.
func metaFor(id string) []byte { return []byte("echo\x00" + id) }

// checkMeta refuses a command naming message id (what: "correct", "react
// to", ...) whose metadata is not the one the network gave the message.
func checkMeta(what, id string, meta []byte) error {
	want := metaFor(id)
	switch {
	case len(meta) == 0:
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "echo: cannot %s message %q: the gateway handed back no metadata for it (expected %q)", what, id, want)
	case !bytes.Equal(meta, want):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "echo: cannot %s message %q: the gateway handed back metadata %q, expected %q", what, id, meta, want)
	}
	return nil
}

// madeHere reports whether id has the shape of a message ID the echo
// network made (newID's, a send's or an echo's, or a history message's):
// a read marker or a reply naming anything else names a message the
// network never had, and is taken as it is.
func madeHere(id string) bool {
	base, ok := strings.CutSuffix(id, sentSuffix)
	if !ok {
		base, _ = strings.CutSuffix(id, echoSuffix)
	}
	return isID(base) || strings.HasPrefix(id, "history-")
}

// emit sends an event; one naming a message gets the message's metadata.
func (s *Session) emit(ev *pb.Event) {
	if ev.EventId != "" && ev.Meta == nil {
		ev.Meta = metaFor(ev.EventId)
	}
	s.n.host.Emit(ev)
}

// richSpans is the formatting of an echo: the user's own (the gateway
// parsed them from the XEP-0393 body) and what the network recognises in
// the text, as networks do: links (words starting http:// or https://)
// and mentions of the account's contacts ("@echo-1").
func (s *Session) richSpans(text string, spans []*pb.Span) []*pb.Span {
	out := spans
	if !strings.Contains(text, "http") && !strings.Contains(text, "@") {
		return out // most messages: nothing to look at
	}
	out = append([]*pb.Span(nil), spans...)
	var contacts map[string]*contact
	if strings.Contains(text, "@") {
		s.n.mu.Lock()
		defer s.n.mu.Unlock()
		contacts = s.n.accounts[s.loginID]
	}
	for start := 0; start < len(text); {
		i := strings.IndexFunc(text[start:], func(r rune) bool { return !unicode.IsSpace(r) })
		if i < 0 {
			break
		}
		start += i
		end := len(text)
		if j := strings.IndexFunc(text[start:], unicode.IsSpace); j >= 0 {
			end = start + j
		}
		word := strings.TrimRight(text[start:end], ".,;:!?)")
		switch {
		case strings.HasPrefix(word, "https://") || strings.HasPrefix(word, "http://"):
			out = append(out, &pb.Span{Start: uint32(start), End: uint32(start + len(word)), Style: pb.Span_STYLE_LINK, Url: word})
		case strings.HasPrefix(word, "@") && contacts[word[1:]] != nil:
			out = append(out, &pb.Span{Start: uint32(start), End: uint32(start + len(word)), Style: pb.Span_STYLE_MENTION, UserId: word[1:]})
		}
		start = end
	}
	return out
}
