package bridge

import (
	"fmt"
	"mime"
	"slices"
	"unicode/utf8"

	"passerelle.im/passerelle/bridge/xmpplink"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Bounds of what a network sends, so that each stanza it becomes fits in
// the server's stanza size limit (xmpp.max_stanza_bytes; the link drops
// what does not, see xmpplink's fit). Texts may grow sixfold when
// escaped ("'" is "&apos;") and a message carries its text's markup
// besides: a text may take an eighth of the limit. Escaped, that may
// still be more than the room archive takes (store.MaxArchivePayload):
// the archive keeps such a message cut (fitArchived, room_archive_fit.go).
const (
	maxNameBytes     = 1 << 10 // names, nicknames, statuses, reasons
	maxFileNameBytes = 255
	maxReactionBytes = 64 // one reaction: an emoji, or a custom one's name
	maxReactions     = 64
	maxSpans         = 1 << 10
	maxURLBytes      = 8 << 10 // an attachment's URL: longer is no address to fetch
)

// cutMark ends a text that was cut, saying how much is missing.
const cutMark = "… [%d bytes more not shown]"

// fitEvent cuts what an event from the network carries to the bounds
// above, in place, before it is stored: a 2 MB message from a contact
// reaches the user as its first part rather than not at all, its
// archived copy fits, and the stanza never reaches the size that made the
// server close the link. Each cut is logged and counted.
func (t *transport) fitEvent(ev *pb.Event) {
	// What the contract does not name is the host's (the archive-only
	// mark of a scroll-back, mam_backfill.go): never the plugin's to set.
	ev.ProtoReflect().SetUnknown(nil)
	text := t.stanzaLimit() / 8
	cut := func(what string, s *string, limit int, marked bool) {
		if len(*s) <= limit {
			return
		}
		t.log.Warn("network text too long; cut", "what", what, "login", ev.LoginId, "chat", ev.ChatId, "event", ev.EventId, "bytes", len(*s), "limit", limit)
		t.metrics.InputFixed("text_cut")
		*s = cutText(*s, limit, marked)
	}
	switch p := ev.Payload.(type) {
	case *pb.Event_Message:
		m := p.Message
		cut("message", &m.Text, text, true)
		m.Spans = fitSpans(m.Spans, len(m.Text))
		for _, a := range m.Attachments {
			cut("file name", &a.Name, maxFileNameBytes, false)
			// Written twice: the OOB description and the file's.
			cut("caption", &a.Caption, text/2, true)
			for _, mt := range []*string{&a.MimeType, &a.ThumbnailMime} {
				if _, _, err := mime.ParseMediaType(*mt); *mt != "" && err != nil {
					// Else the upload's Content-Type header fails: no file.
					t.log.Warn("network attachment MIME type malformed; left out", "login", ev.LoginId, "chat", ev.ChatId, "event", ev.EventId, "name", a.Name, "type", *mt)
					t.metrics.InputFixed("text_cut")
					*mt = ""
				}
			}
			if len(a.GetUrl()) > maxURLBytes {
				t.log.Warn("network attachment URL too long; attachment dropped", "login", ev.LoginId, "chat", ev.ChatId, "event", ev.EventId, "name", a.Name, "bytes", len(a.GetUrl()), "limit", maxURLBytes)
				t.metrics.InputFixed("text_cut")
				a.Source = &pb.Attachment_Url{Url: ""}
			}
		}
	case *pb.Event_Edit:
		cut("edit", &p.Edit.Text, text, true)
		p.Edit.Spans = fitSpans(p.Edit.Spans, len(p.Edit.Text))
	case *pb.Event_Topic:
		cut("topic", &p.Topic.Topic, text, true)
	case *pb.Event_Reaction:
		r := p.Reaction
		kept := r.Emojis[:0]
		for _, e := range r.Emojis {
			if slices.Contains(kept, e) {
				continue // one reaction per emoji (XEP-0444)
			}
			if len(e) <= maxReactionBytes && len(kept) < maxReactions {
				kept = append(kept, e)
				continue
			}
			t.log.Warn("network reaction too long, or one too many; dropped", "login", ev.LoginId, "chat", ev.ChatId, "bytes", len(e), "limit", maxReactionBytes)
			t.metrics.InputFixed("text_cut")
		}
		r.Emojis = kept
	case *pb.Event_Contact:
		t.fitContact(p.Contact.GetContact())
	case *pb.Event_Presence:
		if pr := p.Presence.GetPresence(); pr != nil {
			cut("status", &pr.Status, maxNameBytes, false)
		}
	case *pb.Event_Chat:
		t.fitChat(p.Chat.GetChat())
	case *pb.Event_Member:
		cut("reason", &p.Member.Reason, maxNameBytes, false)
		if m := p.Member.GetMember(); m != nil {
			cut("nick", &m.Nick, maxNameBytes, false)
		}
	case *pb.Event_Notice:
		cut("notice", &p.Notice.Text, text, true)
	case *pb.Event_Invited:
		cut("reason", &p.Invited.Reason, maxNameBytes, false)
		cut("chat name", &p.Invited.ChatName, maxNameBytes, false)
	case *pb.Event_LoginState:
		cut("login state", &p.LoginState.Message, maxNameBytes, false)
	case *pb.Event_Typing:
		if _, ok := pb.TypingState_name[int32(p.Typing.GetState())]; !ok && p.Typing != nil {
			// Protobuf enums are open: a state the contract does not
			// name (a newer plugin's) has no XEP-0085 element, and a
			// nameless one ends the component's stream. Read as active,
			// it shows no typing it cannot vouch for.
			t.log.Warn("network typing state unknown; taken as active", "login", ev.LoginId, "chat", ev.ChatId, "state", int32(p.Typing.State))
			t.metrics.InputFixed("typing_state_unknown")
			p.Typing.State = pb.TypingState_TYPING_STATE_ACTIVE
		}
	}
}

// cutText is s cut at a character boundary so that it and, when marked,
// the cut mark take at most limit bytes; without the mark it ends in "…".
func cutText(s string, limit int, marked bool) string {
	n, mark := cutPoint(s, limit, marked)
	return s[:n] + mark
}

// cutPoint is where cutText cuts s: the bytes of s it keeps, and the
// mark it ends them with.
func cutPoint(s string, limit int, marked bool) (int, string) {
	mark := "…"
	if marked {
		mark = fmt.Sprintf(cutMark, len(s)) // an upper bound of the bytes left out
	}
	n := max(limit-len(mark), 0)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	if marked {
		mark = fmt.Sprintf(cutMark, len(s)-n)
	}
	return n, mark
}

// fitSpans keeps the spans that lie within a text of n bytes (a cut text
// loses those past the cut), at most maxSpans of them, whose link
// targets and mentioned IDs take no more than the text may (n, at least
// maxURLBytes) and none over maxURLBytes: the markup of a message is
// written beside its text, and a span's URL of 600 KB made the message
// too large for the server.
func fitSpans(spans []*pb.Span, n int) []*pb.Span {
	budget := max(n, maxURLBytes)
	kept := spans[:0]
	for _, sp := range spans {
		extra := len(sp.Url) + len(sp.UserId)
		if int(sp.End) <= n && sp.Start <= sp.End && len(kept) < maxSpans && extra <= maxURLBytes && extra <= budget {
			budget -= extra
			kept = append(kept, sp)
		}
	}
	return kept
}

// fitContact cuts a contact's names and status like fitEvent, and drops
// an avatar too large to fit, base64-encoded, in one stanza (a vCard, an
// XEP-0084 data item): the profile is answered without it, as if the
// contact had none, rather than not at all.
func (t *transport) fitContact(c *pb.Contact) {
	if c == nil {
		return
	}
	for _, f := range []struct {
		what string
		s    *string
	}{{"contact name", &c.Name}, {"contact nickname", &c.Nickname}} {
		if len(*f.s) > maxNameBytes {
			t.log.Warn("network text too long; cut", "what", f.what, "contact", c.UserId, "bytes", len(*f.s), "limit", maxNameBytes)
			t.metrics.InputFixed("text_cut")
			*f.s = cutText(*f.s, maxNameBytes, false)
		}
	}
	if c.Presence != nil && len(c.Presence.Status) > maxNameBytes {
		t.log.Warn("network text too long; cut", "what", "status", "contact", c.UserId, "bytes", len(c.Presence.Status), "limit", maxNameBytes)
		t.metrics.InputFixed("text_cut")
		c.Presence.Status = cutText(c.Presence.Status, maxNameBytes, false)
	}
	if limit := t.maxAvatarBytes(); len(c.Avatar) > limit {
		t.log.Warn("network avatar too large for a stanza; left out", "contact", c.UserId, "bytes", len(c.Avatar), "limit", limit)
		t.metrics.InputFixed("avatar_dropped")
		c.Avatar, c.AvatarMime, c.AvatarId = nil, "", ""
	}
}

// maxAvatarBytes is the largest avatar that fits, base64-encoded (4/3),
// in a stanza with room to spare for the rest of a vCard.
func (t *transport) maxAvatarBytes() int {
	return (t.stanzaLimit() - 16<<10) / 4 * 3
}

// stanzaLimit is the server's stanza size limit (xmpp.max_stanza_bytes).
func (t *transport) stanzaLimit() int {
	if t.maxStanza <= 0 {
		return xmpplink.DefaultMaxStanzaBytes
	}
	return t.maxStanza
}

// fitChat cuts a chat's name, topic and member nicks like fitEvent, and
// drops a picture too large for a stanza, wherever the chat comes from:
// an event, the chat list, a chat's info. A name or topic the server
// cannot take would fail the user's room listing (disco#items), the
// room's disco#info and every join (which ends with the subject).
func (t *transport) fitChat(c *pb.Chat) {
	if c == nil {
		return
	}
	cut := func(what string, s *string, limit int, marked bool) {
		if len(*s) > limit {
			t.log.Warn("network text too long; cut", "what", what, "chat", c.ChatId, "bytes", len(*s), "limit", limit)
			t.metrics.InputFixed("text_cut")
			*s = cutText(*s, limit, marked)
		}
	}
	cut("chat name", &c.Name, maxNameBytes, false)
	cut("topic", &c.Topic, t.stanzaLimit()/8, true)
	for _, m := range c.Members {
		cut("nick", &m.Nick, maxNameBytes, false)
	}
	if limit := t.maxAvatarBytes(); len(c.Avatar) > limit {
		t.log.Warn("network avatar too large for a stanza; left out", "chat", c.ChatId, "bytes", len(c.Avatar), "limit", limit)
		t.metrics.InputFixed("avatar_dropped")
		c.Avatar, c.AvatarMime = nil, ""
	}
}
