package tgfake

import (
	"slices"
	"strings"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

// Public names: looking a user or a public channel up by its username
// (contacts.resolveUsername), a user by phone (contacts.resolvePhone), and joining a public channel
// (channels.joinChannel), with Telegram's refusals.

func (s *Server) registerPublic(d *tgtest.Dispatcher) {
	handle(s, d, tg.ContactsResolveUsernameRequestTypeID, "contacts.resolveUsername", func(k *key, r *tg.ContactsResolveUsernameRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		for _, u := range s.users {
			if u.Username != "" && strings.EqualFold(u.Username, r.Username) {
				return &tg.ContactsResolvedPeer{Peer: &tg.PeerUser{UserID: u.ID}, Users: []tg.UserClass{u.tg(u.ID == k.user)}}, nil
			}
		}
		for _, c := range s.channels {
			if c.Username != "" && strings.EqualFold(c.Username, r.Username) {
				return &tg.ContactsResolvedPeer{Peer: &tg.PeerChannel{ChannelID: c.ID}, Chats: []tg.ChatClass{c.tg(k.user)}}, nil
			}
		}
		return nil, tgerr.New(400, "USERNAME_NOT_OCCUPIED")
	})
	// A phone number finds its user (Telegram lets users hide theirs;
	// the fake does not).
	handle(s, d, tg.ContactsResolvePhoneRequestTypeID, "contacts.resolvePhone", func(k *key, r *tg.ContactsResolvePhoneRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		for _, u := range s.users {
			if u.Phone != "" && u.Phone == strings.TrimPrefix(r.Phone, "+") {
				return &tg.ContactsResolvedPeer{Peer: &tg.PeerUser{UserID: u.ID}, Users: []tg.UserClass{u.tg(u.ID == k.user)}}, nil
			}
		}
		return nil, tgerr.New(400, "PHONE_NOT_OCCUPIED")
	})
	handle(s, d, tg.ChannelsJoinChannelRequestTypeID, "channels.joinChannel", func(k *key, r *tg.ChannelsJoinChannelRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		ic, ok := r.Channel.(*tg.InputChannel)
		c := s.channels[ic.GetChannelID()]
		if !ok || c == nil || ic.AccessHash != c.ID*11 {
			return nil, tgerr.New(400, "CHANNEL_INVALID")
		}
		switch {
		case slices.Contains(c.Members, k.user):
			return nil, tgerr.New(400, "USER_ALREADY_PARTICIPANT")
		case slices.Contains(c.Banned, k.user):
			return nil, tgerr.New(400, "USER_BANNED_IN_CHANNEL")
		case c.Username == "":
			return nil, tgerr.New(400, "CHANNEL_PRIVATE")
		}
		c.Members = append(c.Members, k.user)
		m := s.postService(c, k.user, &tg.MessageActionChatAddUser{Users: []int64{k.user}})
		pts := c.pts // the join's
		s.welcome(c)
		return &tg.MessagesChatInviteJoinResultOk{Updates: &tg.Updates{
			Updates: []tg.UpdateClass{&tg.UpdateNewChannelMessage{Message: viewService(m, k.user), Pts: pts, PtsCount: 1}},
			Users:   s.usersFor(k.user), Chats: s.chatsFor(k.user), Date: now()}}, nil
	})
	handle(s, d, tg.ChannelsLeaveChannelRequestTypeID, "channels.leaveChannel", func(k *key, r *tg.ChannelsLeaveChannelRequest) (bin.Encoder, error) {
		c, err := s.channelOf(k, r.Channel)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(c.Members, k.user) {
			return nil, tgerr.New(400, "USER_NOT_PARTICIPANT")
		}
		c.Members = slices.DeleteFunc(c.Members, func(u int64) bool { return u == k.user })
		m := s.postService(c, k.user, &tg.MessageActionChatDeleteUser{UserID: k.user})
		return &tg.Updates{Updates: []tg.UpdateClass{&tg.UpdateNewChannelMessage{Message: viewService(m, k.user), Pts: c.pts, PtsCount: 1}},
			Users: s.usersFor(k.user), Chats: s.chatsFor(k.user), Date: now()}, nil
	})
}
