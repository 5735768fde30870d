package tgfake

import (
	"slices"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

// Deleting a group for everyone, as its creator may: a basic group with
// messages.deleteChat, a supergroup or channel with
// channels.deleteChannel (CHAT_ADMIN_REQUIRED for anyone else, as on
// Telegram; CHANNEL_TOO_LARGE past MaxDeletable members). The group
// stays in the server's tables with nobody in it and no public name:
// it is listed to no one, and a channel's difference, or the channel
// asked for, is a private channel the user is no longer in, as a
// deleted one is to the apps. Each former member's devices are told
// with updateChannel (a channel) or updateChat (a basic group); the
// deleting device gets the channel's in its answer.

// MaxDeletable is the most members a channel may have and be deleted.
const MaxDeletable = 1000

func (s *Server) registerDelete(d *tgtest.Dispatcher) {
	handle(s, d, tg.MessagesDeleteChatRequestTypeID, "messages.deleteChat", func(k *key, r *tg.MessagesDeleteChatRequest) (bin.Encoder, error) {
		g, err := s.groupOf(k, &tg.InputPeerChat{ChatID: r.ChatID})
		if err != nil {
			return nil, err
		}
		if g.Creator != k.user {
			return nil, tgerr.New(400, "CHAT_ADMIN_REQUIRED")
		}
		members := g.Members
		g.Members, g.Admins = nil, nil
		for _, m := range members {
			if m != k.user {
				s.push(m, &tg.UpdateChat{ChatID: g.ID})
			}
		}
		return &tg.BoolTrue{}, nil
	})
	handle(s, d, tg.ChannelsDeleteChannelRequestTypeID, "channels.deleteChannel", func(k *key, r *tg.ChannelsDeleteChannelRequest) (bin.Encoder, error) {
		c, err := s.channelOf(k, r.Channel)
		if err != nil {
			return nil, err
		}
		switch {
		case c.Creator != k.user:
			return nil, tgerr.New(400, "CHAT_ADMIN_REQUIRED")
		case len(c.Members) > MaxDeletable:
			return nil, tgerr.New(406, "CHANNEL_TOO_LARGE")
		}
		members := slices.Clone(c.Members)
		c.Members, c.Admins, c.Username = nil, nil, ""
		up := &tg.UpdateChannel{ChannelID: c.ID}
		for _, m := range members {
			if m != k.user {
				s.push(m, up)
			}
		}
		return &tg.Updates{Updates: []tg.UpdateClass{up}, Users: s.usersFor(k.user), Chats: []tg.ChatClass{c.tg(k.user)}, Date: now()}, nil
	})
}
