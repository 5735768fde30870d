package irc

import (
	"regexp"
	"strings"

	"github.com/ergochat/irc-go/ircmsg"
)

// Replies (IRCv3 reply client tag): a message that answers another
// carries "+draft/reply=<msgid>" (the spec's name while it is a draft;
// "+reply" once ratified, read too). The server relays client tags only
// with message-tags, so a reply to a server without goes as a plain
// message, as before. Before, a reply from an IRCv3 client (gamja,
// Goguma, The Lounge) came as a message answering nothing, and the
// user's XMPP reply went without its tag.

// replyTags are the names of the tag, the one sent first.
var replyTags = []string{"+draft/reply", "+reply"}

// replyTo is the msgid m answers, or "" (none, or none a server could
// have given: a peer's tag is any text).
func replyTo(m ircmsg.Message) string {
	for _, name := range replyTags {
		if ok, id := m.GetTag(name); ok && id != "" {
			if !validMsgid(id) {
				return ""
			}
			return id
		}
	}
	return ""
}

// msgidMax bounds a msgid the plugin takes or names: servers' are short
// (Ergo's 26 characters, a UUID's 36), and a client tag's value may be
// 4 KB, kept in memory (reactions.go) and sent on in events.
const msgidMax = 256

// validMsgid reports whether id can be a server's msgid: not too long,
// no space nor control character. Another, from a peer's tag, names no
// message; from the user's client, it would make a line the server
// refuses (a tag too long) or that names nothing.
func validMsgid(id string) bool {
	return id != "" && len(id) <= msgidMax && !strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r == 0x7f })
}

// ownIDPattern is the form of the IDs the plugin makes (Network.newID)
// for a message without a server msgid: no message on the server has
// it, so a reply to one carries no tag.
var ownIDPattern = regexp.MustCompile(`^[0-9a-f]{8,}-[0-9]+$`)

// replyTagsFor are the tags of the first line of the user's reply to
// the message with ID id (none for no reply, a message with an ID of
// the plugin's or one no server gives, or a server that relays no
// client tags).
func (s *Session) replyTagsFor(id string) map[string]string {
	if !validMsgid(id) || ownIDPattern.MatchString(id) {
		return nil
	}
	s.mu.Lock()
	tags := s.caps["message-tags"]
	s.mu.Unlock()
	if !tags {
		return nil
	}
	return map[string]string{replyTags[0]: id}
}
