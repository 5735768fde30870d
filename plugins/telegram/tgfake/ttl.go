package tgfake

import (
	"slices"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

// MaxTTL is the longest auto-delete timer Telegram takes, in seconds: a
// year. It takes whole days only (TDLib: "from 0 up to 365 * 86400 and
// divisible by 86400"); else TTL_PERIOD_INVALID.
const MaxTTL = 365 * 86400

// registerTTL serves messages.setHistoryTTL as Telegram does: the period
// is checked (TTL_PERIOD_INVALID), the user must have the right to
// change the chat's info in a group where only admins have it and in a
// channel (CHAT_ADMIN_REQUIRED), the same period again changes nothing
// (CHAT_NOT_MODIFIED). The chat's timer is then SetTTL's, and the
// change is the service message messageActionSetMessagesTTL in every
// box: the answer holds the user's copy, and every member's devices get
// it pushed, the user's own (the asking one included) too, as a repeat
// the client must drop by its pts.
func (s *Server) registerTTL(d *tgtest.Dispatcher) {
	handle(s, d, tg.MessagesSetHistoryTTLRequestTypeID, "messages.setHistoryTTL", func(k *key, r *tg.MessagesSetHistoryTTLRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		if r.Period < 0 || r.Period > MaxTTL || r.Period%86400 != 0 {
			return nil, tgerr.New(400, "TTL_PERIOD_INVALID")
		}
		peer, err := s.ttlPeer(k, r.Peer)
		if err != nil {
			return nil, err
		}
		key := ttlKey(k.user, peer)
		if s.ttls[key] == r.Period {
			return nil, tgerr.New(400, "CHAT_NOT_MODIFIED")
		}
		if r.Period == 0 {
			delete(s.ttls, key)
		} else {
			s.ttls[key] = r.Period
		}
		mine := s.postTTL(k.user, peer, &tg.MessageActionSetMessagesTTL{Period: r.Period})
		return &tg.Updates{Updates: []tg.UpdateClass{&tg.UpdatePeerHistoryTTL{Peer: peer, TTLPeriod: r.Period}, mine},
			Users: s.usersFor(k.user), Chats: s.chatsFor(k.user), Date: now()}, nil
	})
}

// ttlPeer is the chat whose timer user k may set, or Telegram's refusal.
func (s *Server) ttlPeer(k *key, in tg.InputPeerClass) (tg.PeerClass, error) {
	switch p := in.(type) {
	case *tg.InputPeerUser:
		if s.users[p.UserID] == nil || p.AccessHash != p.UserID*7 || p.UserID == k.user {
			return nil, tgerr.New(400, "PEER_ID_INVALID")
		}
		return &tg.PeerUser{UserID: p.UserID}, nil
	case *tg.InputPeerChat:
		g, err := s.groupOf(k, p)
		if err != nil {
			return nil, err
		}
		if g.AdminsChangeInfo && k.user != g.Creator && !slices.Contains(g.Admins, k.user) {
			return nil, tgerr.New(400, "CHAT_ADMIN_REQUIRED")
		}
		return &tg.PeerChat{ChatID: g.ID}, nil
	case *tg.InputPeerChannel:
		c, err := s.channelOf(k, &tg.InputChannel{ChannelID: p.ChannelID, AccessHash: p.AccessHash})
		if err != nil {
			return nil, err
		}
		if (c.Broadcast || c.AdminsChangeInfo) && !c.isAdmin(k.user) {
			return nil, tgerr.New(400, "CHAT_ADMIN_REQUIRED")
		}
		return &tg.PeerChannel{ChannelID: c.ID}, nil
	}
	return nil, tgerr.New(400, "PEER_ID_INVALID")
}

// postTTL posts a timer change from a user into chat peer: in each box
// of a private chat or basic group, or the channel, pushed to every
// member (from included); the update of from's copy is returned. Call
// with s.mu held.
func (s *Server) postTTL(from int64, peer tg.PeerClass, act tg.MessageActionClass) tg.UpdateClass {
	if p, ok := peer.(*tg.PeerChannel); ok {
		c := s.channels[p.ChannelID]
		id := c.next
		c.next++
		c.pts++
		msg := func(out bool) *tg.MessageService {
			m := &tg.MessageService{ID: id, Out: out, PeerID: p, FromID: &tg.PeerUser{UserID: from}, Date: now(), Action: act}
			m.SetFlags()
			return m
		}
		theirs := &tg.UpdateNewChannelMessage{Message: msg(false), Pts: c.pts, PtsCount: 1}
		mine := &tg.UpdateNewChannelMessage{Message: msg(true), Pts: c.pts, PtsCount: 1}
		c.log = append(c.log, chEntry{pts: c.pts, date: now(), u: theirs})
		for _, mem := range c.Members {
			if mem == from {
				s.push(mem, mine)
			} else {
				s.push(mem, theirs)
			}
		}
		return mine
	}
	var owners []int64
	switch p := peer.(type) {
	case *tg.PeerUser:
		owners = []int64{from, p.UserID}
	case *tg.PeerChat:
		owners = s.groups[p.ChatID].Members
	}
	var mine tg.UpdateClass
	for _, owner := range owners {
		b := s.boxOf(owner)
		id := b.next
		b.next++
		m := &tg.MessageService{ID: id, Out: owner == from, PeerID: peer, Date: now(), Action: act}
		switch p := peer.(type) {
		case *tg.PeerUser:
			if owner != from {
				m.PeerID = &tg.PeerUser{UserID: from}
			}
		case *tg.PeerChat:
			m.PeerID, m.FromID = p, &tg.PeerUser{UserID: from}
		}
		m.SetFlags()
		u := &tg.UpdateNewMessage{Message: m}
		s.record(owner, u)
		s.push(owner, u)
		if owner == from {
			mine = u
		}
	}
	return mine
}

// TTL is the auto-delete timer of user's chat with peer, in seconds (0:
// off), as SetTTL or messages.setHistoryTTL set it.
func (s *Server) TTL(user int64, peer tg.PeerClass) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ttls[ttlKey(user, peer)]
}
