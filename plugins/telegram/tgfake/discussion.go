package tgfake

import "github.com/gotd/td/tg"

// AutoForward is post (its ID in the channel) of broadcast channel ch
// copied into the channel's discussion group (a supergroup), as
// Telegram copies each post of a channel with comments: a message of
// the group from the channel itself, forwarded from the post (fwd_from
// with channel_post and saved_from_peer), pushed to the group's
// members. Comments are the group's replies to it (Send with
// WithReply). It returns the copy's ID in the group.
func (s *Server) AutoForward(ch, group int64, post int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, g := s.channels[ch], s.channels[group]
	p := c.msgs[post]
	id := g.next
	g.next++
	m := &tg.Message{ID: id, PeerID: &tg.PeerChannel{ChannelID: g.ID}, FromID: &tg.PeerChannel{ChannelID: c.ID},
		Date: p.Date, Message: p.Message, Entities: p.Entities, Media: p.Media}
	from := &tg.PeerChannel{ChannelID: c.ID}
	fwd := tg.MessageFwdHeader{FromID: from, Date: p.Date, ChannelPost: post, SavedFromPeer: from, SavedFromMsgID: post}
	fwd.SetFlags()
	m.SetFwdFrom(fwd)
	m.SetFlags()
	g.msgs[id] = m
	g.pts++
	g.log = append(g.log, chEntry{pts: g.pts, date: m.Date, u: &tg.UpdateNewChannelMessage{Message: m, Pts: g.pts, PtsCount: 1}})
	for _, u := range g.Members {
		s.push(u, &tg.UpdateNewChannelMessage{Message: view(m, u), Pts: g.pts, PtsCount: 1})
	}
	return id
}
