package whatsapp

import (
	"strconv"
	"strings"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"

	pb "passerelle.im/passerelle/plugins/proto"
)

// WhatsApp's events (a group's "Event": a name, a time, a place, a
// description, a call link) as text, as mautrix-whatsapp shows them;
// answering one (going or not) stays on the phone, and the answers,
// encrypted for the event, are not shown. So are scheduled calls: their
// kind, title and time.

// eventText is an event as the lines the apps show of it.
func eventText(e *waE2E.EventMessage) string {
	var b strings.Builder
	b.WriteString("Event")
	if e.GetIsCanceled() {
		b.WriteString(" (cancelled)")
	}
	if e.GetName() != "" {
		b.WriteString(": " + e.GetName())
	}
	if e.StartTime != nil {
		b.WriteString("\nStarts: " + time.Unix(e.GetStartTime(), 0).UTC().Format(expiryLayout))
	}
	if e.EndTime != nil {
		b.WriteString("\nEnds: " + time.Unix(e.GetEndTime(), 0).UTC().Format(expiryLayout))
	}
	if where := eventPlace(e.GetLocation()); where != "" {
		b.WriteString("\nWhere: " + where)
	}
	if e.GetJoinLink() != "" {
		b.WriteString("\nCall link: " + e.GetJoinLink())
	}
	if e.GetDescription() != "" {
		b.WriteString("\n" + e.GetDescription())
	}
	if !e.GetIsCanceled() {
		b.WriteString("\n(answer it " + onPhone + ")")
	}
	return b.String()
}

// eventPlace is where an event is: the place's name and address, and
// its coordinates as a geo: link when given.
func eventPlace(l *waE2E.LocationMessage) string {
	if l == nil {
		return ""
	}
	var parts []string
	for _, p := range []string{l.GetName(), l.GetAddress()} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if l.GetDegreesLatitude() != 0 || l.GetDegreesLongitude() != 0 {
		parts = append(parts, "geo:"+strconv.FormatFloat(l.GetDegreesLatitude(), 'f', -1, 64)+","+
			strconv.FormatFloat(l.GetDegreesLongitude(), 'f', -1, 64))
	}
	return strings.Join(parts, ", ")
}

// event is an event message as a message of the chat.
func (c inbound) event(e *waE2E.EventMessage) *pb.MessageEvent {
	return c.withContext(&pb.MessageEvent{Text: eventText(e)}, e.GetContextInfo())
}

// scheduledCall is a call scheduled in the chat: its kind, title and
// time, to join on the phone (the gateway carries no calls).
func (c inbound) scheduledCall(m *waE2E.ScheduledCallCreationMessage) *pb.MessageEvent {
	kind := "call"
	switch m.GetCallType() {
	case waE2E.ScheduledCallCreationMessage_VOICE:
		kind = "voice call"
	case waE2E.ScheduledCallCreationMessage_VIDEO:
		kind = "video call"
	}
	text := "Scheduled " + kind
	if m.GetTitle() != "" {
		text += ": " + m.GetTitle()
	}
	if ms := m.GetScheduledTimestampMS(); ms > 0 {
		text += "\n" + time.UnixMilli(ms).UTC().Format(expiryLayout)
	}
	return &pb.MessageEvent{Text: text + "\n(join it " + onPhone + ")"}
}

// scheduledCallEdit is a scheduled call cancelled, in reply to it; nil
// for another change, or one naming no call.
func scheduledCallEdit(m *waE2E.ScheduledCallEditMessage) *pb.MessageEvent {
	if m.GetEditType() != waE2E.ScheduledCallEditMessage_CANCEL || m.GetKey().GetID() == "" {
		return nil
	}
	return &pb.MessageEvent{Text: "Cancelled the scheduled call", ReplyToId: m.GetKey().GetID()}
}
