package whatsapp

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// IDs on the contract. A user is "+<phone>" wherever the phone number is
// known, and "lid-<LID>" while WhatsApp only gave the LID (its hidden
// per-user ID); a direct chat's ID is the contact's user ID; a group's is
// its JID ("<id>@g.us"). The host never parses them; the plugin does, both
// ways, here.

// lidPrefix marks a user known only by their LID.
const lidPrefix = "lid-"

// idMap turns a WhatsApp JID into the contract's user ID. The session's
// is backed by the device store's LID map (identity.go); converters take
// it as an interface so that tests can give a plain map.
type idMap interface {
	userID(jid types.JID) string
}

// plainUserID is a JID's user ID without any lookup: a phone number JID
// is "+<phone>", a LID "lid-<LID>".
func plainUserID(jid types.JID) string {
	switch jid.Server {
	case types.DefaultUserServer:
		return "+" + jid.User
	case types.HiddenUserServer:
		return lidPrefix + jid.User
	default:
		return jid.ToNonAD().String()
	}
}

// chatIDOf is the contract's chat ID of a WhatsApp chat.
func chatIDOf(ids idMap, chat types.JID) string {
	switch chat.Server {
	case types.DefaultUserServer, types.HiddenUserServer:
		return ids.userID(chat.ToNonAD())
	default:
		return chat.ToNonAD().String()
	}
}

// chatTypeOf says whether a chat is a group.
func chatTypeOf(chat types.JID) pb.ChatType {
	switch chat.Server {
	case types.GroupServer:
		return pb.ChatType_CHAT_TYPE_GROUP
	case types.NewsletterServer:
		return pb.ChatType_CHAT_TYPE_CHANNEL
	}
	return pb.ChatType_CHAT_TYPE_DIRECT
}

// parseUserID is the JID of a user ID; a wrong one is BAD_REQUEST.
func parseUserID(id string) (types.JID, error) {
	switch {
	case strings.HasPrefix(id, "+") && isDigits(id[1:]):
		return types.NewJID(id[1:], types.DefaultUserServer), nil
	case strings.HasPrefix(id, lidPrefix) && isDigits(id[len(lidPrefix):]):
		return types.NewJID(id[len(lidPrefix):], types.HiddenUserServer), nil
	case strings.Contains(id, "@"):
		jid, err := types.ParseJID(id)
		if err == nil {
			return jid, nil
		}
	}
	return types.EmptyJID, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%q is not a WhatsApp user (+<phone number>)", id)
}

// parseChatID is the JID of a chat ID.
func parseChatID(id string) (types.JID, error) {
	jid, err := parseUserID(id)
	if err != nil {
		return types.EmptyJID, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%q is not a WhatsApp chat", id)
	}
	return jid, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// normalizePhone keeps the digits of what a user typed as a phone number
// ("+33 6 12-34-56-78" -> "33612345678"), after the international prefix
// most countries dial ("0033 6…", ITU's 00); "" when it is not one, or
// is in a national form ("06…": no country code starts with 0), which
// WhatsApp would not find.
func normalizePhone(s string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0, r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return ""
		}
	}
	digits := b.String()
	if !strings.HasPrefix(strings.TrimSpace(s), "+") {
		digits = strings.TrimPrefix(digits, "00")
	}
	if n := len(digits); n < 5 || n > 20 || digits[0] == '0' {
		return ""
	}
	return digits
}

// msgMeta is what WhatsApp needs besides a message's ID to act on it
// (reply, react, revoke, mark read): who sent it and whether the user did.
// It travels as Event.meta / Result.Meta and comes back in target_meta.
type msgMeta struct {
	Sender types.JID
	FromMe bool
	// Parts are the other messages one send made, one per file after the
	// first: the contract's result names only the first message, so its
	// meta carries the rest, for a retraction to delete them too.
	Parts []types.MessageID
	// Time is when the message was sent (zero: not kept, as in the
	// metas of older versions, which kept it for the user's own alone):
	// an edit past editWindow is refused, and a deletion for everyone
	// past revokeWindow, the user's own or, as a group's admin, another's.
	Time time.Time
	// File is the user's own file message as fileOf keeps it (nil: a
	// text, or not kept, as in older metas), for a correction of its
	// caption (captionedit.go); TextPart says its text went as a message
	// of its own, Parts[0] (an audio file's).
	File     []byte
	TextPart bool
	// Spoiler says the user's own message went hidden as a spoiler
	// (wrappers.go): its corrections go hidden too, whether or not the
	// correction is marked as one again.
	Spoiler bool
	// ServerID is a channel's post's number in the channel (channels.go),
	// which a reaction to it names; 0 elsewhere.
	ServerID types.MessageServerID
}

// maxMeta is the contract's bound on a message's meta.
const maxMeta = 1024

// encode is "<sender JID>|<1 or 0>" (2: the user's own, sent as a
// spoiler), then "|<ID>,<ID>..." with parts,
// then "|<Unix ms>" with a time (after an empty parts field when there
// are none), then "|" and the file field (fileField) with a file (after
// an empty time field when there is none): small and readable. Parts
// past maxMeta are left out, and a file too large for it keeps its kind
// alone. A channel's post's server ID comes last, "|<number>" (after
// empty time and file fields when there are none).
func (m msgMeta) encode() []byte {
	f := "0"
	switch {
	case m.FromMe && m.Spoiler:
		f = "2"
	case m.FromMe:
		f = "1"
	}
	b := []byte(m.Sender.ToNonAD().String() + "|" + f)
	var server []byte // the server ID's field, with its "|"
	if m.ServerID != 0 {
		server = strconv.AppendInt([]byte{'|'}, int64(m.ServerID), 10)
	}
	var tail []byte // the time and file fields, each with its "|"
	if !m.Time.IsZero() || m.File != nil || server != nil {
		tail = append(tail, '|')
		if !m.Time.IsZero() {
			tail = strconv.AppendInt(tail, m.Time.UnixMilli(), 10)
		}
	}
	if m.File != nil {
		// The sender, the parts' field and the file's "|" come first.
		tail = append(append(tail, '|'), fileField(m.File, m.TextPart, maxMeta-len(b)-2-len(tail)-len(server))...)
	} else if server != nil {
		tail = append(tail, '|')
	}
	tail = append(tail, server...)
	room := maxMeta - len(tail)
	sep := byte('|')
	if len(tail) > 0 {
		b = append(b, '|') // the parts' field is open
		sep = 0
	}
	for _, p := range m.Parts {
		if p == "" || strings.ContainsAny(p, "|,") || len(b)+1+len(p) > room {
			continue
		}
		if sep != 0 {
			b = append(b, sep)
		}
		b = append(b, p...)
		sep = ','
	}
	return append(b, tail...)
}

// decodeMeta reads encode's form; a missing or damaged one is an error
// saying so, never a guess.
func decodeMeta(b []byte) (msgMeta, error) {
	s := string(b)
	f := strings.Split(s, "|")
	if len(f) < 2 || len(f) > 6 || (f[1] != "0" && f[1] != "1" && f[1] != "2") {
		return msgMeta{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "this message's WhatsApp details are missing (%q): it cannot be acted on", s)
	}
	jid, err := types.ParseJID(f[0])
	if err == nil && jid.User == "" {
		err = errors.New("no user")
	}
	if err != nil {
		return msgMeta{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "this message's WhatsApp sender %q cannot be read: %v", f[0], err)
	}
	m := msgMeta{Sender: jid, FromMe: f[1] != "0", Spoiler: f[1] == "2"}
	if len(f) == 6 {
		id, err := strconv.ParseInt(f[5], 10, 64)
		if err != nil || id <= 0 {
			return msgMeta{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "this message's WhatsApp details are damaged (%q): it cannot be acted on", s)
		}
		m.ServerID = types.MessageServerID(id)
	}
	if len(f) == 5 || (len(f) == 6 && f[4] != "") {
		file, textPart, ok := readFileField(f[4])
		if !ok {
			return msgMeta{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "this message's WhatsApp details are damaged (%q): it cannot be acted on", s)
		}
		m.File, m.TextPart = file, textPart
	}
	if len(f) >= 4 && (len(f) == 4 || f[3] != "") {
		ms, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil || ms <= 0 {
			return msgMeta{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "this message's WhatsApp details are damaged (%q): it cannot be acted on", s)
		}
		m.Time = time.UnixMilli(ms)
	}
	if len(f) >= 3 {
		for _, p := range strings.Split(f[2], ",") {
			if p != "" {
				m.Parts = append(m.Parts, p)
			}
		}
	}
	return m, nil
}
