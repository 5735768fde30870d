package tgfake

import (
	"bytes"
	"slices"

	"github.com/gotd/td/tg"
)

// Polls: votes and a poll's closing reach every box that holds the poll's
// message as updateMessagePoll, which names only the poll, as Telegram
// does. Like Telegram's, the update has no pts: it is not in the log that
// getDifference reads. Each box's copy of the message has the new
// results, for the history.

// Vote is user choosing the options (their Option bytes) of the poll in
// message gid (Send's answer); no option takes the vote back.
func (s *Server) Vote(user int64, gid int, options ...[]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pollOf(gid)
	if !ok {
		panic("tgfake: message has no poll")
	}
	if s.votes == nil {
		s.votes = map[int64]map[int64][][]byte{}
	}
	if s.votes[p.ID] == nil {
		s.votes[p.ID] = map[int64][][]byte{}
	}
	if len(options) == 0 {
		delete(s.votes[p.ID], user)
	} else {
		s.votes[p.ID][user] = options
	}
	s.pollChanged(gid, p, false)
}

// ClosePoll is the poll of message gid closed by its sender: no more
// votes, and the update carries the poll itself.
func (s *Server) ClosePoll(gid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pollOf(gid)
	if !ok {
		panic("tgfake: message has no poll")
	}
	p.Closed = true
	s.pollChanged(gid, p, true)
}

// PushPollUpdate sends user a poll's update as given: one for a poll
// their boxes need not hold.
func (s *Server) PushPollUpdate(user int64, u *tg.UpdateMessagePoll) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u.SetFlags()
	s.push(user, u)
}

// pollOf is the poll of message gid, as its boxes have it.
func (s *Server) pollOf(gid int) (tg.Poll, bool) {
	for owner, id := range s.links[gid] {
		if m := s.boxOf(owner).msgs[id]; m != nil {
			if md, ok := m.Media.(*tg.MessageMediaPoll); ok {
				return md.Poll, true
			}
		}
	}
	return tg.Poll{}, false
}

// pollChanged gives each box of message gid the poll p with its votes
// now, and tells its owner (with the poll, when withPoll).
func (s *Server) pollChanged(gid int, p tg.Poll, withPoll bool) {
	voters := s.votes[p.ID]
	users := make([]int64, 0, len(voters))
	for u := range voters {
		users = append(users, u)
	}
	slices.Sort(users)
	for owner, id := range s.links[gid] {
		om := s.boxOf(owner).msgs[id]
		if om == nil {
			continue
		}
		r := tg.PollResults{TotalVoters: len(voters)}
		for _, a := range p.Answers {
			pa, ok := a.(*tg.PollAnswer)
			if !ok {
				continue
			}
			v := tg.PollAnswerVoters{Option: pa.Option}
			for _, u := range users {
				if slices.ContainsFunc(voters[u], func(o []byte) bool { return bytes.Equal(o, pa.Option) }) {
					v.Voters++
					v.Chosen = v.Chosen || u == owner
				}
			}
			r.Results = append(r.Results, v)
		}
		r.SetFlags()
		cp := *om
		cp.Media = &tg.MessageMediaPoll{Poll: p, Results: r}
		s.boxOf(owner).msgs[id] = &cp
		u := &tg.UpdateMessagePoll{PollID: p.ID, Results: r}
		if withPoll {
			u.SetPoll(p)
		}
		u.SetFlags()
		s.push(owner, u)
	}
}
