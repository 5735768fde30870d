package mediatext

import (
	"strconv"
	"strings"
	"time"
)

// Call is a call through the network, which the gateway cannot carry:
// the user learns of it, and answers or calls back in the network's app.
type Call struct {
	Video bool
	// Group: a call in a group, which its members join.
	Group bool
	// Outgoing: the user's own call (from the phone).
	Outgoing bool
	// Missed: it ended unanswered (or was declined or busy).
	Missed bool
	// Answered: taken on another of the user's devices, its length not
	// known here.
	Answered bool
	// Duration of a call that took place; zero when not known.
	Duration time.Duration
}

// CallText is a call as a line of text. While it rings: "Incoming voice
// call: answer it on your phone", "Group video call: join it in
// Telegram"; once it ended: "Missed voice call", "Unanswered video call"
// (the user's own), "Voice call, 3 min 5 s", "Voice call, answered on
// your phone". where is the transport's phrase for its app, as in
// PollText.
func CallText(c Call, where string) string {
	kind := "voice call"
	if c.Video {
		kind = "video call"
	}
	if c.Group {
		kind = "group " + kind
	}
	Kind := strings.ToUpper(kind[:1]) + kind[1:]
	switch {
	case c.Missed && c.Outgoing:
		return "Unanswered " + kind
	case c.Missed:
		return "Missed " + kind
	case c.Duration > 0:
		return Kind + ", " + Span(c.Duration)
	case c.Answered:
		return Kind + ", answered " + where
	case c.Group:
		return Kind + ": join it " + where
	case c.Outgoing:
		return "Outgoing " + kind
	}
	return "Incoming " + kind + ": answer it " + where
}

// TimerText is a change of a chat's disappearing messages (WhatsApp,
// Signal; Telegram's auto-delete): the sender set them to ttl, or off.
func TimerText(ttl time.Duration) string {
	if ttl <= 0 {
		return "Disappearing messages turned off"
	}
	return "Disappearing messages turned on: messages disappear " + Span(ttl) + " after they are sent"
}

// ReadTimerText is TimerText for a network whose timer starts when the
// message is read (Signal's; a sender's own copy counts from the send).
func ReadTimerText(ttl time.Duration) string {
	if ttl <= 0 {
		return TimerText(ttl)
	}
	return "Disappearing messages turned on: messages disappear " + Span(ttl) + " after they are read"
}

// Span is a duration in words: whole weeks, days or hours by their
// name ("1 week", "90 days", "8 hours"), else hours, minutes and seconds
// ("3 min 5 s").
func Span(d time.Duration) string {
	d = d.Round(time.Second)
	const day, week = 24 * time.Hour, 7 * 24 * time.Hour
	switch {
	case d >= week && d%week == 0:
		return count(int64(d/week), "week")
	case d >= day && d%day == 0:
		return count(int64(d/day), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return count(int64(d/time.Hour), "hour")
	}
	var parts []string
	if h := int64(d / time.Hour); h > 0 {
		parts = append(parts, strconv.FormatInt(h, 10)+" h")
	}
	if m := int64(d % time.Hour / time.Minute); m > 0 {
		parts = append(parts, strconv.FormatInt(m, 10)+" min")
	}
	if sec := int64(d % time.Minute / time.Second); sec > 0 || parts == nil {
		parts = append(parts, strconv.FormatInt(sec, 10)+" s")
	}
	return strings.Join(parts, " ")
}

// count is n things, in the plural unless one.
func count(n int64, thing string) string {
	if n != 1 {
		thing += "s"
	}
	return strconv.FormatInt(n, 10) + " " + thing
}

// PinText is the notice of a message pinned in a chat (or unpinned), by
// the event's sender; the notice replies to the message, so that clients
// show which.
func PinText(unpin bool) string {
	if unpin {
		return "Unpinned a message"
	}
	return "📌 Pinned a message"
}
