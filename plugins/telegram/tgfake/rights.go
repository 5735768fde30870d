package tgfake

import (
	"slices"

	"github.com/gotd/td/tg"
)

// adminRights are the rights an admin of the fake has: all but naming
// other admins (the creator's alone here).
func adminRights() tg.ChatAdminRights {
	r := tg.ChatAdminRights{ChangeInfo: true, PostMessages: true, EditMessages: true, DeleteMessages: true,
		BanUsers: true, InviteUsers: true, PinMessages: true}
	r.SetFlags()
	return r
}

// defaultRights are a group's default banned rights, as Telegram gives
// them in the group's object: what AdminsInvite, AdminsChangeInfo and
// AdminsPin say, and more (extra: send_polls, send_media...).
func defaultRights(extra tg.ChatBannedRights, invite, changeInfo, pin bool) tg.ChatBannedRights {
	r := extra
	r.InviteUsers = r.InviteUsers || invite
	r.ChangeInfo = r.ChangeInfo || changeInfo
	r.PinMessages = r.PinMessages || pin
	r.SetFlags()
	return r
}

// SetDefaultRights sets a basic group's or a supergroup's default
// banned rights (peer: a PeerChat or a PeerChannel), as an admin does in
// a Telegram app, and tells every member (updateChatDefaultBannedRights).
func (s *Server) SetDefaultRights(peer tg.PeerClass, r tg.ChatBannedRights) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var members []int64
	version := 0
	switch p := peer.(type) {
	case *tg.PeerChat:
		g := s.groups[p.ChatID]
		g.DefaultRights, g.AdminsInvite, g.AdminsChangeInfo, g.AdminsPin = r, r.InviteUsers, r.ChangeInfo, r.PinMessages
		g.version++
		members, version = g.Members, g.version
	case *tg.PeerChannel:
		c := s.channels[p.ChannelID]
		c.DefaultRights, c.AdminsInvite, c.AdminsChangeInfo, c.AdminsPin = r, r.InviteUsers, r.ChangeInfo, r.PinMessages
		members = c.Members
	}
	r.SetFlags()
	for _, m := range members {
		s.push(m, &tg.UpdateChatDefaultBannedRights{Peer: peer, DefaultBannedRights: r, Version: version})
	}
}

// SetGroupAdmin names user an admin of a basic group, or dismisses them,
// as its creator does in a Telegram app, and tells every member
// (updateChatParticipantAdmin).
func (s *Server) SetGroupAdmin(group, user int64, admin bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[group]
	g.Admins = slices.DeleteFunc(g.Admins, func(m int64) bool { return m == user })
	if admin {
		g.Admins = append(g.Admins, user)
	}
	g.version++
	for _, m := range g.Members {
		s.push(m, &tg.UpdateChatParticipantAdmin{ChatID: g.ID, UserID: user, IsAdmin: admin, Version: g.version})
	}
}

// SetChannelMember makes user of a supergroup an admin, a member who may
// not send (restricted), or a plain member (neither), as its creator
// does in a Telegram app, and tells them (updateChannel, as Telegram
// tells one whose rights changed).
func (s *Server) SetChannelMember(channel, user int64, admin, restricted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	c.Admins = slices.DeleteFunc(c.Admins, func(m int64) bool { return m == user })
	c.Restricted = slices.DeleteFunc(c.Restricted, func(m int64) bool { return m == user })
	delete(c.RestrictedUntil, user)
	if admin {
		c.Admins = append(c.Admins, user)
	}
	if restricted {
		c.Restricted = append(c.Restricted, user)
	}
	s.push(user, &tg.UpdateChannel{ChannelID: channel})
}

// ChatsOf are the groups and channels of user as Telegram's objects
// show them to the user (their rights there included).
func (s *Server) ChatsOf(user int64) []tg.ChatClass {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chatsFor(user)
}

// RestrictUntil restricts user of a supergroup (they may read, not
// send) until the Unix time until, as an admin does in a Telegram app
// with a restriction's end date, and tells them (updateChannel). At
// until the restriction ends, and no update says so, as on Telegram.
func (s *Server) RestrictUntil(channel, user int64, until int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	c.Admins = slices.DeleteFunc(c.Admins, func(m int64) bool { return m == user })
	if !slices.Contains(c.Restricted, user) {
		c.Restricted = append(c.Restricted, user)
	}
	c.RestrictedUntil[user] = until
	s.push(user, &tg.UpdateChannel{ChannelID: channel})
}
