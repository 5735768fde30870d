package tgfake

import (
	"maps"
	"slices"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

// Running a group's members as Telegram does: adding people
// (messages.addChatUser, channels.inviteToChannel), admins
// (messages.editChatAdmin, channels.editAdmin), restrictions and bans
// (channels.editBanned), with Telegram's refusals.

// invitee is the user an InputUser names, or USER_ID_INVALID.
func (s *Server) invitee(in tg.InputUserClass) (*User, error) {
	iu, ok := in.(*tg.InputUser)
	if !ok || s.users[iu.UserID] == nil || iu.AccessHash != iu.UserID*7 {
		return nil, tgerr.New(400, "USER_ID_INVALID")
	}
	return s.users[iu.UserID], nil
}

// refusesInvite reports whether u's privacy settings keep inviter from
// adding them to a group: Telegram then lists them as a missing invitee
// rather than failing the request.
func (s *Server) refusesInvite(u *User, inviter int64) bool {
	return u.PrivateInvites && !slices.Contains(s.contacts[u.ID], inviter)
}

// PostGroupService is a service message from a member of a basic group
// (a group call scheduled, a boost...), in every member's box and pushed
// to each, the sender's devices too.
func (s *Server) PostGroupService(group, from int64, act tg.MessageActionClass) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if mine := s.postGroupService(s.groups[group], from, act); mine != nil {
		s.push(from, mine)
	}
}

// RenameGroup is a member renaming a basic group: every member gets the
// service message (messageActionChatEditTitle), as on Telegram.
func (s *Server) RenameGroup(group, from int64, title string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[group]
	g.Title = title
	if mine := s.postGroupService(g, from, &tg.MessageActionChatEditTitle{Title: title}); mine != nil {
		s.push(from, mine)
	}
}

// postGroupService puts a service message from a member into the box of
// each member of a basic group and pushes it; the actor's copy is
// returned, not pushed: it is the request's answer. Call with s.mu held.
func (s *Server) postGroupService(g *Group, from int64, act tg.MessageActionClass) *tg.UpdateNewMessage {
	var mine *tg.UpdateNewMessage
	for _, owner := range g.Members {
		b := s.boxOf(owner)
		id := b.next
		b.next++
		m := &tg.MessageService{ID: id, Out: owner == from, PeerID: &tg.PeerChat{ChatID: g.ID}, FromID: &tg.PeerUser{UserID: from}, Date: now(), Action: act}
		m.SetFlags()
		u := &tg.UpdateNewMessage{Message: m}
		s.record(owner, u)
		if owner == from {
			mine = u
			continue
		}
		s.push(owner, u)
	}
	return mine
}

// isAdmin reports whether user may run the channel's members.
func (c *Channel) isAdmin(user int64) bool {
	return user == c.Creator || slices.Contains(c.Admins, user)
}

// restricted is a member who may not send, as getParticipants lists them.
func (c *Channel) restricted(user int64) *tg.ChannelParticipantBanned {
	p := &tg.ChannelParticipantBanned{Peer: &tg.PeerUser{UserID: user}, KickedBy: c.Creator, Date: 1,
		BannedRights: tg.ChatBannedRights{SendMessages: true, UntilDate: c.RestrictedUntil[user]}}
	p.BannedRights.SetFlags()
	p.SetFlags()
	return p
}

// banned is someone banned from the channel (view_messages), as the
// list of removed users (channelParticipantsKicked) gives them: no
// longer in it.
func (c *Channel) banned(user int64) *tg.ChannelParticipantBanned {
	p := &tg.ChannelParticipantBanned{Left: true, Peer: &tg.PeerUser{UserID: user}, KickedBy: c.Creator, Date: 1,
		BannedRights: tg.ChatBannedRights{ViewMessages: true}}
	p.BannedRights.SetFlags()
	p.SetFlags()
	return p
}

// participant is one member as channels.getParticipant describes them.
func (c *Channel) participant(user, viewer int64) tg.ChannelParticipantClass {
	switch {
	case user == c.Creator:
		return &tg.ChannelParticipantCreator{UserID: user}
	case slices.Contains(c.Admins, user):
		return &tg.ChannelParticipantAdmin{UserID: user, PromotedBy: c.Creator, Date: 1}
	case c.isRestricted(user):
		return c.restricted(user)
	case user == viewer:
		return &tg.ChannelParticipantSelf{UserID: user, InviterID: c.Creator, Date: 1}
	}
	return &tg.ChannelParticipant{UserID: user, Date: 1}
}

func (s *Server) registerMembers(d *tgtest.Dispatcher) {
	handle(s, d, tg.MessagesAddChatUserRequestTypeID, "messages.addChatUser", func(k *key, r *tg.MessagesAddChatUserRequest) (bin.Encoder, error) {
		g, err := s.groupOf(k, &tg.InputPeerChat{ChatID: r.ChatID})
		if err != nil {
			return nil, err
		}
		u, err := s.invitee(r.UserID)
		if err != nil {
			return nil, err
		}
		if g.AdminsInvite && k.user != g.Creator && !slices.Contains(g.Admins, k.user) {
			return nil, tgerr.New(403, "CHAT_ADMIN_REQUIRED")
		}
		if slices.Contains(g.Members, u.ID) {
			return nil, tgerr.New(400, "USER_ALREADY_PARTICIPANT")
		}
		if s.refusesInvite(u, k.user) {
			return &tg.MessagesInvitedUsers{Updates: &tg.Updates{Date: now()}, MissingInvitees: []tg.MissingInvitee{{UserID: u.ID}}}, nil
		}
		g.Members = append(g.Members, u.ID)
		mine := s.postGroupService(g, k.user, &tg.MessageActionChatAddUser{Users: []int64{u.ID}})
		return &tg.MessagesInvitedUsers{Updates: &tg.Updates{Updates: []tg.UpdateClass{mine}, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user), Date: now()}}, nil
	})
	handle(s, d, tg.ChannelsInviteToChannelRequestTypeID, "channels.inviteToChannel", func(k *key, r *tg.ChannelsInviteToChannelRequest) (bin.Encoder, error) {
		c, err := s.channelOf(k, r.Channel)
		if err != nil {
			return nil, err
		}
		if (c.Broadcast || c.AdminsInvite) && !c.isAdmin(k.user) {
			return nil, tgerr.New(403, "CHAT_ADMIN_REQUIRED")
		}
		out := &tg.MessagesInvitedUsers{Updates: &tg.Updates{Date: now()}}
		var added []int64
		for _, in := range r.Users {
			u, err := s.invitee(in)
			if err != nil {
				return nil, err
			}
			switch {
			case slices.Contains(c.Members, u.ID):
				return nil, tgerr.New(400, "USER_ALREADY_PARTICIPANT")
			case slices.Contains(c.Banned, u.ID) && !c.isAdmin(k.user):
				return nil, tgerr.New(400, "USER_KICKED")
			case s.refusesInvite(u, k.user):
				out.MissingInvitees = append(out.MissingInvitees, tg.MissingInvitee{UserID: u.ID})
			default:
				added = append(added, u.ID)
			}
		}
		if len(added) == 0 {
			return out, nil
		}
		c.Banned = slices.DeleteFunc(c.Banned, func(m int64) bool { return slices.Contains(added, m) }) // an admin's invitation lifts a ban
		c.Members = append(c.Members, added...)
		m := s.postService(c, k.user, &tg.MessageActionChatAddUser{Users: added})
		out.Updates = &tg.Updates{Updates: []tg.UpdateClass{&tg.UpdateNewChannelMessage{Message: viewService(m, k.user), Pts: c.pts, PtsCount: 1}},
			Users: s.usersFor(k.user), Chats: s.chatsFor(k.user), Date: now()}
		return out, nil
	})
	handle(s, d, tg.MessagesEditChatAdminRequestTypeID, "messages.editChatAdmin", func(k *key, r *tg.MessagesEditChatAdminRequest) (bin.Encoder, error) {
		g, err := s.groupOf(k, &tg.InputPeerChat{ChatID: r.ChatID})
		if err != nil {
			return nil, err
		}
		u, err := s.invitee(r.UserID)
		if err != nil {
			return nil, err
		}
		if k.user != g.Creator {
			return nil, tgerr.New(403, "CHAT_ADMIN_REQUIRED") // a basic group's admins are the creator's to name
		}
		if !slices.Contains(g.Members, u.ID) {
			return nil, tgerr.New(400, "USER_NOT_PARTICIPANT")
		}
		g.Admins = slices.DeleteFunc(g.Admins, func(m int64) bool { return m == u.ID })
		if r.IsAdmin {
			g.Admins = append(g.Admins, u.ID)
		}
		g.version++
		for _, m := range g.Members {
			s.push(m, &tg.UpdateChatParticipantAdmin{ChatID: g.ID, UserID: u.ID, IsAdmin: r.IsAdmin, Version: g.version})
		}
		return &tg.BoolTrue{}, nil
	})
	handle(s, d, tg.ChannelsEditAdminRequestTypeID, "channels.editAdmin", func(k *key, r *tg.ChannelsEditAdminRequest) (bin.Encoder, error) {
		c, err := s.channelOf(k, r.Channel)
		if err != nil {
			return nil, err
		}
		u, err := s.invitee(r.UserID)
		if err != nil {
			return nil, err
		}
		switch {
		case k.user != c.Creator:
			// Admins the creator named have no add_admins right here.
			return nil, tgerr.New(403, "CHAT_ADMIN_REQUIRED")
		case u.ID == c.Creator:
			return nil, tgerr.New(400, "USER_CREATOR")
		case !slices.Contains(c.Members, u.ID):
			return nil, tgerr.New(400, "USER_NOT_PARTICIPANT")
		}
		c.Admins = slices.DeleteFunc(c.Admins, func(m int64) bool { return m == u.ID })
		if r.AdminRights.Flags != 0 { // no right at all: no longer an admin
			c.Admins = append(c.Admins, u.ID)
			c.Restricted = slices.DeleteFunc(c.Restricted, func(m int64) bool { return m == u.ID })
		}
		return &tg.Updates{Updates: []tg.UpdateClass{&tg.UpdateChannel{ChannelID: c.ID}}, Chats: []tg.ChatClass{c.tg(k.user)}, Date: now()}, nil
	})
	handle(s, d, tg.ChannelsEditBannedRequestTypeID, "channels.editBanned", func(k *key, r *tg.ChannelsEditBannedRequest) (bin.Encoder, error) {
		c, err := s.channelOf(k, r.Channel)
		if err != nil {
			return nil, err
		}
		p, ok := r.Participant.(*tg.InputPeerUser)
		if !ok || s.users[p.UserID] == nil || p.AccessHash != p.UserID*7 {
			return nil, tgerr.New(400, "PARTICIPANT_ID_INVALID")
		}
		who := p.UserID
		switch {
		case !c.isAdmin(k.user):
			return nil, tgerr.New(403, "CHAT_ADMIN_REQUIRED")
		case c.isAdmin(who):
			return nil, tgerr.New(400, "USER_ADMIN_INVALID") // an admin is demoted first
		}
		c.Restricted = slices.DeleteFunc(c.Restricted, func(m int64) bool { return m == who })
		delete(c.RestrictedUntil, who)
		out := &tg.Updates{Updates: []tg.UpdateClass{&tg.UpdateChannel{ChannelID: c.ID}}, Date: now()}
		switch {
		case r.BannedRights.ViewMessages:
			if slices.Contains(c.Members, who) {
				m := s.postService(c, k.user, &tg.MessageActionChatDeleteUser{UserID: who})
				out.Updates = append(out.Updates, &tg.UpdateNewChannelMessage{Message: viewService(m, k.user), Pts: c.pts, PtsCount: 1})
				c.Members = slices.DeleteFunc(c.Members, func(m int64) bool { return m == who })
			}
			if !slices.Contains(c.Banned, who) {
				c.Banned = append(c.Banned, who)
			}
		case r.BannedRights.SendMessages:
			if !slices.Contains(c.Members, who) {
				return nil, tgerr.New(400, "USER_NOT_PARTICIPANT")
			}
			c.Restricted = append(c.Restricted, who)
			if u := r.BannedRights.UntilDate; u != 0 {
				c.RestrictedUntil[who] = u
			}
		default:
			c.Banned = slices.DeleteFunc(c.Banned, func(m int64) bool { return m == who })
		}
		out.Users, out.Chats = s.usersFor(k.user), s.chatsFor(k.user)
		return out, nil
	})
	handle(s, d, tg.ChannelsGetParticipantRequestTypeID, "channels.getParticipant", func(k *key, r *tg.ChannelsGetParticipantRequest) (bin.Encoder, error) {
		c, err := s.channelOf(k, r.Channel)
		if err != nil {
			return nil, err
		}
		who := k.user
		switch p := r.Participant.(type) {
		case *tg.InputPeerUser:
			who = p.UserID
		case *tg.InputPeerSelf:
		default:
			return nil, tgerr.New(400, "PARTICIPANT_ID_INVALID")
		}
		if !slices.Contains(c.Members, who) {
			return nil, tgerr.New(400, "USER_NOT_PARTICIPANT")
		}
		return &tg.ChannelsChannelParticipant{Participant: c.participant(who, k.user), Users: s.usersFor(k.user), Chats: []tg.ChatClass{c.tg(k.user)}}, nil
	})
}

// ChannelInfo is a copy of a channel as the server has it: its members,
// admins, restricted and banned people.
func (s *Server) ChannelInfo(id int64) Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[id]
	return Channel{ID: c.ID, Title: c.Title, About: c.About, Broadcast: c.Broadcast, Forum: c.Forum, Creator: c.Creator, AdminsInvite: c.AdminsInvite,
		Members: slices.Clone(c.Members), Admins: slices.Clone(c.Admins), Restricted: slices.Clone(c.Restricted), RestrictedUntil: maps.Clone(c.RestrictedUntil), Banned: slices.Clone(c.Banned),
		InviteHash: c.InviteHash, InviteExpired: c.InviteExpired, InviteRequest: c.InviteRequest, Requests: slices.Clone(c.Requests)}
}
