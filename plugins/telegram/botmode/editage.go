package botmode

import (
	"strconv"
	"strings"
	"time"

	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/editwindow"
)

// The Bot API refuses a correction past Telegram's 48 h with the words
// it uses for any message a bot may not correct ("message can't be
// edited": another's, a service message), and it gives no message's
// date. So a send notes in its first message's metadata, which the
// gateway hands back with a correction (EditMessage.target_meta), when
// the message was sent: a refusal of a message older than the window is
// then told as a user account's MESSAGE_EDIT_TIME_EXPIRED is.

// sentField opens the send's time in the metadata, after the parts'
// list (parts.IDs stops at ";").
const sentField = "sent:"

// withSent is res with its message's time noted in its metadata, when
// there is room for it.
func withSent(res sdk.Result) sdk.Result {
	if res.MessageID == "" || res.Time.IsZero() {
		return res
	}
	field := sentField + strconv.FormatInt(res.Time.Unix(), 10)
	meta := string(res.Meta)
	if meta != "" {
		field = ";" + field
	}
	if len(meta)+len(field) > sdk.MaxMetaBytes {
		return res
	}
	res.Meta = []byte(meta + field)
	return res
}

// sentAt is when the message of meta was sent, when a send noted it.
func sentAt(meta []byte) (time.Time, bool) {
	s := string(meta)
	i := strings.Index(s, sentField)
	if i < 0 || (i > 0 && s[i-1] != ';') {
		return time.Time{}, false
	}
	v, _, _ := strings.Cut(s[i+len(sentField):], ";")
	unix, err := strconv.ParseInt(v, 10, 64)
	if err != nil || unix <= 0 {
		return time.Time{}, false
	}
	return time.Unix(unix, 0), true
}

// editExpired reports whether err, the Bot API's refusal of a
// correction of the message of meta, is for the message's age.
func editExpired(err error, meta []byte) bool {
	lower := strings.ToLower(err.Error())
	if strings.Contains(lower, "message_edit_time_expired") {
		return true
	}
	at, known := sentAt(meta)
	return known && strings.Contains(lower, "message can't be edited") && time.Since(at) > editwindow.Window
}
