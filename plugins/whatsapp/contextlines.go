package whatsapp

import (
	"strings"
	"sync"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
)

// frequentlyForwarded is the forwarding score from which WhatsApp's
// apps label a message "Forwarded many times" (its FAQ: forwarded
// through a chain of five or more chats).
const frequentlyForwarded = 5

// forwardedLine is the line a forwarded message starts with, as
// WhatsApp's apps label it ("Forwarded", "Forwarded many times"; they
// name no one, but a channel a post was forwarded from); "" for a
// message that is not forwarded. XMPP has no forward header that
// clients show: without it a forward reads as the sender's own words.
func forwardedLine(ci *waE2E.ContextInfo) string {
	switch channel := ci.GetForwardedNewsletterMessageInfo().GetNewsletterName(); {
	case !ci.GetIsForwarded():
		return ""
	case channel != "":
		return "Forwarded from the channel «" + channel + "»:"
	case ci.GetForwardingScore() >= frequentlyForwarded:
		return "Forwarded many times:"
	}
	return "Forwarded message:"
}

// withForward puts a forwarded message's line before its text.
func withForward(m *pb.MessageEvent, ci *waE2E.ContextInfo) {
	if head := forwardedLine(ci); head != "" {
		prefix(m, head)
	}
}

// otherChatHead is the line a reply to a message of another chat starts
// with: WhatsApp's reply to a status, and its private reply to a
// group's message (in the chat with its sender), name a message the
// gateway does not know in this chat, so the reply showed with nothing
// of what it answers. It says what it answers instead (the quoted copy
// WhatsApp sends with it); "" for a reply in the chat, or none.
func (c inbound) otherChatHead(ci *waE2E.ContextInfo, chat types.JID) string {
	where, err := types.ParseJID(ci.GetRemoteJID())
	if err != nil || where.IsEmpty() {
		return ""
	}
	where = where.ToNonAD()
	var head string
	switch {
	case where == types.StatusBroadcastJID:
		head = "In reply to a status"
	case where.Server == types.GroupServer && where != chat.ToNonAD():
		head = "In reply to a group's message"
	default:
		return "" // this chat's own message
	}
	if q := c.content(ci.GetQuotedMessage()); q != nil {
		quoted := q.Text
		if quoted == "" && len(q.Attachments) > 0 {
			quoted = q.Attachments[0].Name
		}
		if quoted != "" {
			head += ":\n> " + strings.ReplaceAll(quoted, "\n", "\n> ")
		}
	}
	return head
}

// otherChatReply starts a reply to a message of another chat with what
// it answers (otherChatHead), naming no message; the line is kept for
// the message's edits, which may not quote again. It returns the line.
func (c inbound) otherChatReply(m *pb.MessageEvent, ci *waE2E.ContextInfo, chat types.JID) string {
	head := c.otherChatHead(ci, chat)
	if head != "" {
		m.ReplyToId, m.QuoteText, m.QuoteAuthorId, m.QuoteFromMe = "", "", "", false // the line quotes it
		prefix(m, head)
	}
	return head
}

// replyHeads keeps the line of the latest replies to another chat's
// message (otherChatHead), by chat and message ID, for their edits: an
// edit's new content need not quote again, and the correction replaces
// the whole text, which lost the line. WhatsApp takes edits for 20
// minutes at most (whatsmeow's EditWindow): the latest few hundred
// cover them; a restart of the plugin forgets them.
type replyHeads struct {
	mu    sync.Mutex
	heads map[string]string
	order []string // oldest first
}

// maxReplyHeads bounds replyHeads.
const maxReplyHeads = 512

func headKey(chatID, id string) string { return chatID + "\x00" + id }

// note keeps a message's line; nil keeps nothing.
func (r *replyHeads) note(chatID, id, head string) {
	if r == nil || head == "" || id == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	k := headKey(chatID, id)
	if r.heads == nil {
		r.heads = map[string]string{}
	}
	if _, ok := r.heads[k]; !ok {
		r.order = append(r.order, k)
	}
	r.heads[k] = head
	for len(r.order) > maxReplyHeads {
		delete(r.heads, r.order[0])
		r.order = r.order[1:]
	}
}

// get is a message's line, "" when not kept.
func (r *replyHeads) get(chatID, id string) string {
	if r == nil {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.heads[headKey(chatID, id)]
}

// prefix puts head on a line before a message's text (a file's caption
// too), moving the spans after it.
func prefix(m *pb.MessageEvent, head string) {
	if m.Text != "" {
		head += "\n"
		for _, sp := range m.Spans {
			sp.Start += uint32(len(head))
			sp.End += uint32(len(head))
		}
	}
	m.Text = head + m.Text
	if len(m.Attachments) == 1 {
		m.Attachments[0].Caption = m.Text
	}
}
