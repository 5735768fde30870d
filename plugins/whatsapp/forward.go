package whatsapp

import (
	"go.mau.fi/whatsmeow/proto/waE2E"

	pb "passerelle.im/passerelle/plugins/proto"
)

// frequentlyForwarded is the forwarding score from which WhatsApp's
// apps label a message "Forwarded many times" (its FAQ: forwarded
// through a chain of five or more chats).
const frequentlyForwarded = 5

// forwardedLine is the line a forwarded message starts with, as
// WhatsApp's apps label it ("Forwarded", "Forwarded many times"; they
// never say from whom); "" for a message that is not forwarded. XMPP has
// no forward header that clients show: without it a forward reads as the
// sender's own words.
func forwardedLine(ci *waE2E.ContextInfo) string {
	switch {
	case !ci.GetIsForwarded():
		return ""
	case ci.GetForwardingScore() >= frequentlyForwarded:
		return "Forwarded many times:"
	}
	return "Forwarded message:"
}

// withForward puts a forwarded message's line before its text (a file's
// caption too), moving the spans after it.
func withForward(m *pb.MessageEvent, ci *waE2E.ContextInfo) {
	head := forwardedLine(ci)
	if head == "" {
		return
	}
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
