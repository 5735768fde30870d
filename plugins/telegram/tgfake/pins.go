package tgfake

import (
	"slices"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

// registerPins serves messages.updatePinnedMessage as Telegram does: the
// message must be in the user's chat (MESSAGE_ID_INVALID), and where only
// admins may pin (a group's AdminsPin, a broadcast channel) the user must
// be one (CHAT_ADMIN_REQUIRED). A pin is the service message
// messageActionPinMessage replying to the message, then
// updatePinnedMessages (updatePinnedChannelMessages) pinned; an unpin is
// that update alone, pinned false. Each is in every member's box (a
// channel's once), pushed to every member's devices, the user's own (the
// asking one included) as a repeat the client must drop by its pts; the
// answer holds the user's copies. Silent and pm_oneside are not kept.
func (s *Server) registerPins(d *tgtest.Dispatcher) {
	handle(s, d, tg.MessagesUpdatePinnedMessageRequestTypeID, "messages.updatePinnedMessage", func(k *key, r *tg.MessagesUpdatePinnedMessageRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		peer, id, err := s.pinTarget(k, r.Peer, r.ID)
		if err != nil {
			return nil, err
		}
		mine := s.pin(k.user, peer, id, r.Unpin)
		return &tg.Updates{Updates: mine, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user), Date: now()}, nil
	})
}

// pinTarget is the chat and message user k may pin or unpin, the message
// by its gid (a channel's by its ID), or Telegram's refusal.
func (s *Server) pinTarget(k *key, in tg.InputPeerClass, id int) (tg.PeerClass, int, error) {
	switch p := in.(type) {
	case *tg.InputPeerChannel:
		c, err := s.channelOf(k, &tg.InputChannel{ChannelID: p.ChannelID, AccessHash: p.AccessHash})
		if err != nil {
			return nil, 0, err
		}
		if (c.Broadcast || c.AdminsPin) && !c.isAdmin(k.user) {
			return nil, 0, tgerr.New(400, "CHAT_ADMIN_REQUIRED")
		}
		if c.msgs[id] == nil {
			return nil, 0, tgerr.New(400, "MESSAGE_ID_INVALID")
		}
		return &tg.PeerChannel{ChannelID: c.ID}, id, nil
	case *tg.InputPeerChat:
		g, err := s.groupOf(k, p)
		if err != nil {
			return nil, 0, err
		}
		if g.AdminsPin && k.user != g.Creator && !slices.Contains(g.Admins, k.user) {
			return nil, 0, tgerr.New(400, "CHAT_ADMIN_REQUIRED")
		}
	case *tg.InputPeerUser:
		if s.users[p.UserID] == nil || p.AccessHash != p.UserID*7 {
			return nil, 0, tgerr.New(400, "PEER_ID_INVALID")
		}
	default:
		return nil, 0, tgerr.New(400, "PEER_ID_INVALID")
	}
	peer := s.peerOf(k.user, in)
	b := s.boxOf(k.user)
	m := b.msgs[id]
	if m == nil || peerKey(m.PeerID) != peerKey(peer) {
		return nil, 0, tgerr.New(400, "MESSAGE_ID_INVALID")
	}
	return peer, b.gids[id], nil
}

// Pin is a user pinning a message (unpin: unpinning it) from their app,
// as messages.updatePinnedMessage does: in a private chat or a group the
// message by its gid (Send's answer), in a channel by its ID. Every
// member's devices get it.
func (s *Server) Pin(user int64, peer tg.PeerClass, id int, unpin bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pin(user, peer, id, unpin)
}

// Pinned reports whether message id (a gid, or a channel's ID in a
// channel) of chat peer is pinned.
func (s *Server) Pinned(peer tg.PeerClass, id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pins[pinKey(peer, id)]
}

// pinKey names a pinned message: a channel's by its ID, another by its
// gid.
func pinKey(peer tg.PeerClass, id int) string {
	if p, ok := peer.(*tg.PeerChannel); ok {
		return peerKey(p) + "/" + strconvItoa(id)
	}
	return "g" + strconvItoa(id)
}

// pin pins or unpins message id (as Pin names it) of chat peer by from,
// and returns from's updates. Call with s.mu held.
func (s *Server) pin(from int64, peer tg.PeerClass, id int, unpin bool) []tg.UpdateClass {
	if unpin {
		delete(s.pins, pinKey(peer, id))
	} else {
		s.pins[pinKey(peer, id)] = true
	}
	if p, ok := peer.(*tg.PeerChannel); ok {
		c := s.channels[p.ChannelID]
		var mine []tg.UpdateClass
		if !unpin {
			hdr := &tg.MessageReplyHeader{ReplyToMsgID: id}
			if t := c.topicOf(id); c.Forum && t > 1 {
				hdr.ForumTopic = true
				if t != id {
					hdr.SetReplyToTopID(t)
				}
			}
			hdr.SetFlags()
			sid := c.next
			c.next++
			c.pts++
			msg := func(out bool) *tg.MessageService {
				m := &tg.MessageService{ID: sid, Out: out, PeerID: p, FromID: &tg.PeerUser{UserID: from}, ReplyTo: hdr, Date: now(), Action: &tg.MessageActionPinMessage{}}
				m.SetFlags()
				return m
			}
			theirs := &tg.UpdateNewChannelMessage{Message: msg(false), Pts: c.pts, PtsCount: 1}
			mineMsg := &tg.UpdateNewChannelMessage{Message: msg(true), Pts: c.pts, PtsCount: 1}
			c.log = append(c.log, chEntry{pts: c.pts, date: now(), u: theirs})
			for _, mem := range c.Members {
				if mem == from {
					s.push(mem, mineMsg)
				} else {
					s.push(mem, theirs)
				}
			}
			mine = append(mine, mineMsg)
		}
		c.pts++
		u := &tg.UpdatePinnedChannelMessages{Pinned: !unpin, ChannelID: c.ID, Messages: []int{id}, Pts: c.pts, PtsCount: 1}
		c.log = append(c.log, chEntry{pts: c.pts, date: now(), u: u})
		for _, mem := range c.Members {
			s.push(mem, u)
		}
		return append(mine, u)
	}
	var mine []tg.UpdateClass
	for owner, oid := range s.links[id] {
		b := s.boxOf(owner)
		m := b.msgs[oid]
		if m == nil {
			continue
		}
		var ups []tg.UpdateClass
		if !unpin {
			sm := &tg.MessageService{ID: b.next, Out: owner == from, PeerID: m.PeerID, ReplyTo: &tg.MessageReplyHeader{ReplyToMsgID: oid},
				Date: now(), Action: &tg.MessageActionPinMessage{}}
			b.next++
			if _, ok := m.PeerID.(*tg.PeerChat); ok {
				sm.FromID = &tg.PeerUser{UserID: from}
			}
			sm.SetFlags()
			u := &tg.UpdateNewMessage{Message: sm}
			s.record(owner, u)
			ups = append(ups, u)
		}
		u := &tg.UpdatePinnedMessages{Pinned: !unpin, Peer: m.PeerID, Messages: []int{oid}}
		s.record(owner, u)
		ups = append(ups, u)
		s.push(owner, ups...)
		if owner == from {
			mine = ups
		}
	}
	return mine
}

// pinnedIn are the messages pinned in user's chat peer (in a forum's
// topic when topic is not 0), by their IDs in user's box (a channel's
// own), newest message first as Telegram's messages.search answers them.
// Call with s.mu held.
func (s *Server) pinnedIn(user int64, peer tg.PeerClass, topic int) []tg.MessageClass {
	var out []tg.MessageClass
	if p, ok := peer.(*tg.PeerChannel); ok {
		c := s.channels[p.ChannelID]
		if c == nil {
			return nil
		}
		for id, m := range c.msgs {
			if s.pins[pinKey(p, id)] && (topic == 0 || c.topicOf(id) == topic) {
				out = append(out, m)
			}
		}
	} else {
		b := s.boxOf(user)
		for id, m := range b.msgs {
			if s.pins[pinKey(peer, b.gids[id])] && peerKey(m.PeerID) == peerKey(peer) {
				out = append(out, m)
			}
		}
	}
	slices.SortFunc(out, func(a, b tg.MessageClass) int { return b.GetID() - a.GetID() })
	return out
}

// lastPin is the newest message pinned in user's chat peer (a full
// chat's pinned_msg_id), 0 for none. Call with s.mu held.
func (s *Server) lastPin(user int64, peer tg.PeerClass) int {
	if ms := s.pinnedIn(user, peer, 0); len(ms) > 0 {
		return ms[0].GetID()
	}
	return 0
}

// searchMaxLimit is the most messages one messages.search answers.
const searchMaxLimit = 100

// registerPinSearch serves messages.search with inputMessagesFilterPinned
// (the one filter the fake knows; another is INPUT_FILTER_INVALID): the
// messages pinned in the chat (a forum's topic with top_msg_id), newest
// message first, at most limit of them (at most 100, Telegram's bound),
// older than offset_id when it is set; a page that is not all of them is
// messages.messagesSlice with the whole count, as Telegram answers.
func (s *Server) registerPinSearch(d *tgtest.Dispatcher) {
	handle(s, d, tg.MessagesSearchRequestTypeID, "messages.search", func(k *key, r *tg.MessagesSearchRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		if _, ok := r.Filter.(*tg.InputMessagesFilterPinned); !ok {
			return nil, tgerr.New(400, "INPUT_FILTER_INVALID")
		}
		switch p := r.Peer.(type) {
		case *tg.InputPeerChannel:
			if _, err := s.channelOf(k, &tg.InputChannel{ChannelID: p.ChannelID, AccessHash: p.AccessHash}); err != nil {
				return nil, err
			}
		case *tg.InputPeerChat:
			if _, err := s.groupOf(k, p); err != nil {
				return nil, err
			}
		case *tg.InputPeerUser:
			if s.users[p.UserID] == nil || p.AccessHash != p.UserID*7 {
				return nil, tgerr.New(400, "PEER_ID_INVALID")
			}
		default:
			return nil, tgerr.New(400, "PEER_ID_INVALID")
		}
		all := s.pinnedIn(k.user, s.peerOf(k.user, r.Peer), r.TopMsgID)
		ms := all
		if r.OffsetID > 0 {
			ms = slices.DeleteFunc(slices.Clone(ms), func(m tg.MessageClass) bool { return m.GetID() >= r.OffsetID })
		}
		limit := min(r.Limit, searchMaxLimit)
		if limit <= 0 {
			limit = searchMaxLimit
		}
		if len(ms) > limit {
			ms = ms[:limit]
		}
		if _, ok := r.Peer.(*tg.InputPeerChannel); ok {
			return &tg.MessagesChannelMessages{Count: len(all), Messages: ms, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user)}, nil
		}
		if len(ms) < len(all) {
			return &tg.MessagesMessagesSlice{Count: len(all), Messages: ms, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user)}, nil
		}
		return &tg.MessagesMessages{Messages: ms, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user)}, nil
	})
}
