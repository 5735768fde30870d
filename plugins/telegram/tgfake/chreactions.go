package tgfake

import "github.com/gotd/td/tg"

// ReactChannel is a member of channel setting their reactions to its
// message id (none: taken back). As Telegram, updateMessageReactions
// has no pts, of the channel's or the user's: each member hears it on
// the common update stream, and one away gets it from their next
// updates.getDifference (its other_updates), not from the channel's
// getChannelDifference.
func (s *Server) ReactChannel(user, channel int64, id int, emojis ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	if c == nil || c.msgs[id] == nil {
		return
	}
	if c.reacts == nil {
		c.reacts = map[int]map[int64][]string{}
	}
	if c.reacts[id] == nil {
		c.reacts[id] = map[int64][]string{}
	}
	if len(emojis) == 0 {
		delete(c.reacts[id], user)
	} else {
		c.reacts[id][user] = emojis
	}
	for _, m := range c.Members {
		u := &tg.UpdateMessageReactions{Peer: &tg.PeerChannel{ChannelID: channel}, MsgID: id, Reactions: reactionsFor(c.reacts[id], m)}
		s.recordNoPts(m, u) // for a member away
		s.push(m, u)
	}
}
