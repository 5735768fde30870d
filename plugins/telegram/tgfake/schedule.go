package tgfake

import "github.com/gotd/td/tg"

// Schedule is a message the user from schedules to the user to from one
// of their apps (messages.sendMessage with schedule_date at, Unix
// seconds), as Telegram tells the user's other devices: an
// updateNewScheduledMessage with the message in the chat's scheduled
// list, its own ID (id: any, it is not of the chat's history) and the
// date it is to go at. Nothing reaches the chat until SendScheduled.
func (s *Server) Schedule(from, to int64, id, at int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &tg.Message{ID: id, Out: true, PeerID: &tg.PeerUser{UserID: to}, Date: at, Message: text}
	m.SetFlags()
	s.push(from, &tg.UpdateNewScheduledMessage{Message: m})
}

// SendScheduled is scheduled message id (Schedule's) going at its time:
// a new message of the chat from_scheduled, in every box as Send's, and
// to the sender's devices the scheduled one's removal naming it
// (updateDeleteScheduledMessages with sent_messages). It returns the
// message's gid (see ID).
func (s *Server) SendScheduled(from, to int64, id int, text string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = s.deliver(from, &tg.PeerUser{UserID: to}, text, msgOpts{sched: true}, 0)
	gid := s.gid
	u := &tg.UpdateDeleteScheduledMessages{Peer: &tg.PeerUser{UserID: to}, Messages: []int{id}, SentMessages: []int{s.links[gid][from]}}
	u.SetFlags()
	s.push(from, u)
	return gid
}
