package irc

import (
	"strings"

	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// What a channel's modes let its members do, as the room shows it:
//
//   - +m (moderated): only members with a membership mode (voice or
//     above) speak; the others are visitors, and a room where the user
//     is one is read-only (Chat.read_only).
//   - +t (topic locked): only operators (half-ops and above: the
//     moderators) set the topic; a room where the user is none does
//     not offer it (Chat.features without group_topic).
//
// The server still decides: a send or a topic it refuses is the
// command's error (404, 482), as when the plugin does not know a mode
// yet.

// chanView is what a channel lets the user do, as far as the room
// shows it: a change of it is the chat again.
type chanView struct {
	readOnly, noTopic bool
}

// has reports whether the channel has mode (a mode of its own, such as
// m or t, not a member's).
func (ch *channel) has(mode byte) bool { return strings.IndexByte(ch.flags, mode) >= 0 }

// roleLocked is a member's role and affiliation in ch: by their
// membership modes, and a visitor in a moderated channel without any.
func (s *Session) roleLocked(ch *channel, m *member) (pb.Role, pb.Affiliation) {
	role, aff := s.prefix.role(m.modes)
	if ch.has('m') && m.modes == "" {
		role = pb.Role_ROLE_VISITOR
	}
	return role, aff
}

// viewLocked is what ch lets the user do; all of it while the user's
// own member is not known.
func (s *Session) viewLocked(ch *channel) chanView {
	self := ch.members[s.loginID]
	if self == nil {
		return chanView{}
	}
	role, _ := s.roleLocked(ch, self)
	return chanView{readOnly: role == pb.Role_ROLE_VISITOR, noTopic: ch.has('t') && role != pb.Role_ROLE_MODERATOR}
}

// limitLocked narrows chat c to what ch lets the user do.
func (s *Session) limitLocked(c *pb.Chat, ch *channel) {
	v := s.viewLocked(ch)
	c.ReadOnly = v.readOnly
	if v.noTopic && s.n.feats != nil {
		f := proto.CloneOf(s.n.feats)
		f.GroupTopic = false
		c.Features = f
	}
}
