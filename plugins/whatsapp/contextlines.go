package whatsapp

import (
	"strings"

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

// otherChatReply makes a reply to a message of another chat readable:
// WhatsApp's reply to a status, and its private reply to a group's
// message (in the chat with its sender), name a message the gateway
// does not know in this chat, so the reply showed with nothing of what
// it answers. It starts with what it answers instead (the quoted copy
// WhatsApp sends with it), and names no message.
func (c inbound) otherChatReply(m *pb.MessageEvent, ci *waE2E.ContextInfo, chat types.JID) {
	where, err := types.ParseJID(ci.GetRemoteJID())
	if err != nil || where.IsEmpty() {
		return
	}
	where = where.ToNonAD()
	var head string
	switch {
	case where == types.StatusBroadcastJID:
		head = "In reply to a status"
	case where.Server == types.GroupServer && where != chat.ToNonAD():
		head = "In reply to a group's message"
	default:
		return // this chat's own message
	}
	m.ReplyToId = ""
	if q := c.content(ci.GetQuotedMessage()); q != nil {
		quoted := q.Text
		if quoted == "" && len(q.Attachments) > 0 {
			quoted = q.Attachments[0].Name
		}
		if quoted != "" {
			head += ":\n> " + strings.ReplaceAll(quoted, "\n", "\n> ")
		}
	}
	prefix(m, head)
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
