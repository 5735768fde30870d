package irc

import (
	"context"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A nick's profile (UserInfo: the vCard an XMPP client asks of the
// nick's address, "contact details") is what WHOIS says of them, as
// biboumi's users type it to the server's JID: their real name and
// nick!user@host. The WHOIS goes at the pace of the user's lines, then as
// a moderation command does (between two PINGs of its own, one at a
// time), so that its 311, or a 401 for no one, is told from a send's.

// whoisUser is what a WHOIS's 311 (RPL_WHOISUSER) said of its nick.
type whoisUser struct {
	nick, user, host, realName string // the nick as the server spells it
}

// handleWhois gives the WHOIS waiting its 311.
func (s *Session) handleWhois(c *ircevent.Connection) {
	s.on(c, ircevent.RPL_WHOISUSER, func(m ircmsg.Message) {
		// me nick user host * :real name
		if len(m.Params) < 6 {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if w := s.modWait; w != nil && w.whois && w.win.active && s.fold(m.Params[1]) == w.nick {
			w.whoisSaid = &whoisUser{nick: m.Params[1], user: m.Params[2], host: m.Params[3], realName: m.Params[5]}
		}
	})
}

// UserInfo describes the nick of chat ID userID (sdk.UserInfoer) from
// its WHOIS: its real name (the vCard's name; the nick where it has
// none), nick, and user@host. No one with that nick is NOT_FOUND.
func (s *Session) UserInfo(ctx context.Context, userID string) (*pb.Contact, error) {
	if userID == s.acc.serverChatID() {
		return &pb.Contact{UserId: userID, Name: s.acc.Server}, nil
	}
	if isChannel(userID) {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%s is a channel, not a nick", userID)
	}
	conn, err := s.online()
	if err != nil {
		return nil, err
	}
	nick, err := s.target(userID)
	if err != nil {
		return nil, err
	}
	// One line among the user's, at their pace (pace.go): a client may
	// ask the vCards of many nicks at once, which would be a flood.
	s.lines.admit(1, pasteTime)
	err = s.lines.wait(ctx)
	s.lines.sent(1)
	if err != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "given up waiting for the turn of a WHOIS of %s among your lines (%v)", decodeText(nick), err)
	}
	w := &modWait{what: "look up " + decodeText(nick), nick: s.fold(nick), whois: true}
	if err := s.moderate(ctx, conn, w, []string{"WHOIS", nick}); err != nil {
		return nil, err
	}
	s.mu.Lock()
	said := w.whoisSaid
	s.mu.Unlock()
	if said == nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s did not say who %s is", s.acc.addr(), decodeText(nick))
	}
	c := &pb.Contact{UserId: userID, Nickname: decodeText(said.nick), Username: decodeText(said.user + "@" + said.host)}
	if c.Name = plainText(said.realName); c.Name == "" {
		c.Name = c.Nickname
	}
	return c, nil
}
