package tgfake

import (
	"slices"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

// Private invite links (t.me/+HASH): looking one up
// (messages.checkChatInvite) and joining by it
// (messages.importChatInvite), with Telegram's answers: an unknown or
// an expired link, a member already, a request an admin must approve.

// byInvite is the channel whose link is hash, compared as Telegram does:
// case matters. Call with s.mu held.
func (s *Server) byInvite(hash string) (*Channel, error) {
	if hash == "" {
		return nil, tgerr.New(400, "INVITE_HASH_EMPTY")
	}
	for _, c := range s.channels {
		if c.InviteHash != hash {
			continue
		}
		if c.InviteExpired {
			return nil, tgerr.New(400, "INVITE_HASH_EXPIRED")
		}
		return c, nil
	}
	return nil, tgerr.New(400, "INVITE_HASH_INVALID")
}

func (s *Server) registerInvites(d *tgtest.Dispatcher) {
	handle(s, d, tg.MessagesCheckChatInviteRequestTypeID, "messages.checkChatInvite", func(k *key, r *tg.MessagesCheckChatInviteRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		c, err := s.byInvite(r.Hash)
		if err != nil {
			return nil, err
		}
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
		c, err := s.byInvite(r.Hash)
		if err != nil {
			return nil, err
		}
		switch {
		case slices.Contains(c.Members, k.user):
			return nil, tgerr.New(400, "USER_ALREADY_PARTICIPANT")
		case slices.Contains(c.Banned, k.user):
			return nil, tgerr.New(400, "USER_BANNED_IN_CHANNEL")
		case c.InviteRequest:
			if !slices.Contains(c.Requests, k.user) {
				c.Requests = append(c.Requests, k.user)
			}
			return nil, tgerr.New(400, "INVITE_REQUEST_SENT")
		}
		c.Members = append(c.Members, k.user)
		m := s.postService(c, k.user, &tg.MessageActionChatJoinedByLink{InviterID: c.Creator})
		return &tg.MessagesChatInviteJoinResultOk{Updates: &tg.Updates{Updates: []tg.UpdateClass{&tg.UpdateNewChannelMessage{Message: m, Pts: c.pts, PtsCount: 1}},
			Users: s.usersFor(k.user), Chats: []tg.ChatClass{c.tg(k.user)}, Date: now()}}, nil
	})
}

// ApproveJoinRequest lets in someone who asked to join a channel by its
// link, as an admin does: they become a member, with the service message
// Telegram posts (messageActionChatJoinedByRequest, from them) pushed to
// every member, them included.
func (s *Server) ApproveJoinRequest(channel, user int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	i := slices.Index(c.Requests, user)
	if i < 0 {
		panic("tgfake: no request to join from this user")
	}
	c.Requests = slices.Delete(c.Requests, i, i+1)
	c.Members = append(c.Members, user)
	s.postService(c, user, &tg.MessageActionChatJoinedByRequest{})
}
