package tgfake

import (
	"slices"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

// Private invite links (t.me/+HASH) of channels and basic groups:
// looking one up (messages.checkChatInvite) and joining by it
// (messages.importChatInvite), with Telegram's answers: an unknown or
// an expired link, a member already, a request an admin must approve.
// A basic group's answers are its own: chatInvite without the channel
// flag, and the join's service message an updateNewMessage in the
// joiner's box, as for any basic group message.

// invited is the channel or the basic group of a link: one is nil.
type invited struct {
	c *Channel
	g *Group
}

// byInvite is the channel or group whose link is hash, compared as
// Telegram does: case matters. Call with s.mu held.
func (s *Server) byInvite(hash string) (invited, error) {
	if hash == "" {
		return invited{}, tgerr.New(400, "INVITE_HASH_EMPTY")
	}
	expired := func(e bool, in invited) (invited, error) {
		if e {
			return invited{}, tgerr.New(400, "INVITE_HASH_EXPIRED")
		}
		return in, nil
	}
	for _, c := range s.channels {
		if c.InviteHash == hash {
			return expired(c.InviteExpired, invited{c: c})
		}
	}
	for _, g := range s.groups {
		if g.InviteHash == hash {
			return expired(g.InviteExpired, invited{g: g})
		}
	}
	return invited{}, tgerr.New(400, "INVITE_HASH_INVALID")
}

// exportedInvite is a group's invite link as messages.getFullChat and
// channels.getFullChannel show it to viewer: only to its creator and
// admins (those with the right to invite on Telegram), and not once it
// has expired; nil otherwise.
func exportedInvite(hash string, expired bool, creator int64, admins []int64, viewer int64) tg.ExportedChatInviteClass {
	if hash == "" || expired || (viewer != creator && !slices.Contains(admins, viewer)) {
		return nil
	}
	return &tg.ChatInviteExported{Permanent: true, Link: "https://t.me/+" + hash, AdminID: creator, Date: 1}
}

func (s *Server) registerInvites(d *tgtest.Dispatcher) {
	handle(s, d, tg.MessagesCheckChatInviteRequestTypeID, "messages.checkChatInvite", func(k *key, r *tg.MessagesCheckChatInviteRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		in, err := s.byInvite(r.Hash)
		if err != nil {
			return nil, err
		}
		if g := in.g; g != nil {
			if slices.Contains(g.Members, k.user) {
				return &tg.ChatInviteAlready{Chat: g.tg(k.user)}, nil
			}
			// A basic group's preview names some of its members.
			inv := &tg.ChatInvite{RequestNeeded: g.InviteRequest, Title: g.Title, About: g.About, Photo: &tg.PhotoEmpty{}, ParticipantsCount: len(g.Members)}
			for _, m := range g.Members {
				if u := s.users[m]; u != nil {
					inv.Participants = append(inv.Participants, u.tg(false))
				}
			}
			inv.SetFlags()
			return inv, nil
		}
		c := in.c
		if slices.Contains(c.Members, k.user) {
			return &tg.ChatInviteAlready{Chat: c.tg(k.user)}, nil
		}
		inv := &tg.ChatInvite{Channel: true, Broadcast: c.Broadcast, Megagroup: !c.Broadcast, Public: c.Username != "",
			RequestNeeded: c.InviteRequest, Title: c.Title, About: c.About, Photo: &tg.PhotoEmpty{}, ParticipantsCount: len(c.Members)}
		inv.SetFlags()
		return inv, nil
	})
	handle(s, d, tg.MessagesImportChatInviteRequestTypeID, "messages.importChatInvite", func(k *key, r *tg.MessagesImportChatInviteRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		in, err := s.byInvite(r.Hash)
		if err != nil {
			return nil, err
		}
		if g := in.g; g != nil {
			switch {
			case slices.Contains(g.Members, k.user):
				return nil, tgerr.New(400, "USER_ALREADY_PARTICIPANT")
			case g.InviteRequest:
				s.asked(g.asking(), k.user) // joinrequests.go
				return nil, tgerr.New(400, "INVITE_REQUEST_SENT")
			}
			g.Members = append(g.Members, k.user)
			mine := s.postGroupService(g, k.user, &tg.MessageActionChatJoinedByLink{InviterID: g.Creator})
			return &tg.MessagesChatInviteJoinResultOk{Updates: &tg.Updates{Updates: []tg.UpdateClass{mine},
				Users: s.usersFor(k.user), Chats: []tg.ChatClass{g.tg(k.user)}, Date: now()}}, nil
		}
		c := in.c
		switch {
		case slices.Contains(c.Members, k.user):
			return nil, tgerr.New(400, "USER_ALREADY_PARTICIPANT")
		case slices.Contains(c.Banned, k.user):
			return nil, tgerr.New(400, "USER_BANNED_IN_CHANNEL")
		case c.InviteRequest:
			s.asked(c.asking(), k.user)
			return nil, tgerr.New(400, "INVITE_REQUEST_SENT")
		}
		c.Members = append(c.Members, k.user)
		m := s.postService(c, k.user, &tg.MessageActionChatJoinedByLink{InviterID: c.Creator})
		pts := c.pts // the join's
		s.welcome(c)
		return &tg.MessagesChatInviteJoinResultOk{Updates: &tg.Updates{Updates: []tg.UpdateClass{&tg.UpdateNewChannelMessage{Message: viewService(m, k.user), Pts: pts, PtsCount: 1}},
			Users: s.usersFor(k.user), Chats: []tg.ChatClass{c.tg(k.user)}, Date: now()}}, nil
	})
}

// ApproveJoinRequest lets in someone who asked to join a channel by its
// link, as an admin does from the phone (the admins are told the
// requests left): they become a member, with the service message
// Telegram posts (messageActionChatJoinedByRequest, from them) pushed to
// every member, them included.
func (s *Server) ApproveJoinRequest(channel, user int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	if !s.dropRequest(c.asking(), user) {
		panic("tgfake: no request to join from this user")
	}
	c.Members = append(c.Members, user)
	s.postService(c, user, &tg.MessageActionChatJoinedByRequest{})
	s.tellAdmins(c.asking())
}

// ApproveGroupJoinRequest is ApproveJoinRequest for a basic group: the
// service message goes into every member's box, the newcomer's too.
func (s *Server) ApproveGroupJoinRequest(group, user int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[group]
	if !s.dropRequest(g.asking(), user) {
		panic("tgfake: no request to join from this user")
	}
	g.Members = append(g.Members, user)
	// From the newcomer, so postGroupService leaves their copy to push.
	s.push(user, s.postGroupService(g, user, &tg.MessageActionChatJoinedByRequest{}))
	s.tellAdmins(g.asking())
}
