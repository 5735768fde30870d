package tgfake

import "github.com/gotd/td/tg"

// EditChannelMessage is message id of channel edited to text by its
// author: in the channel's log (getChannelDifference gives it to a
// member who was away) and pushed to its members.
func (s *Server) EditChannelMessage(channel int64, id int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	m := c.msgs[id]
	if m == nil {
		return
	}
	cp := *m
	cp.Message, cp.EditDate = text, now()
	cp.SetFlags()
	c.msgs[id] = &cp
	c.pts++
	c.log = append(c.log, chEntry{pts: c.pts, date: cp.EditDate, u: &tg.UpdateEditChannelMessage{Message: &cp, Pts: c.pts, PtsCount: 1}})
	for _, u := range c.Members {
		s.push(u, &tg.UpdateEditChannelMessage{Message: view(&cp, u), Pts: c.pts, PtsCount: 1})
	}
}

// DeleteChannelMessages are messages ids of channel deleted by an
// admin: in the channel's log and pushed to its members.
func (s *Server) DeleteChannelMessages(channel int64, ids ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	for _, id := range ids {
		delete(c.msgs, id)
	}
	c.pts += len(ids)
	u := &tg.UpdateDeleteChannelMessages{ChannelID: channel, Messages: ids, Pts: c.pts, PtsCount: len(ids)}
	c.log = append(c.log, chEntry{pts: c.pts, date: now(), u: u})
	for _, m := range c.Members {
		s.push(m, u)
	}
}
