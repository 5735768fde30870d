package tgfake

import (
	"bytes"
	"slices"
	"unicode/utf16"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
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
	s.pollChanged(gid, p, false, 0)
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
	s.pollChanged(gid, p, true, 0)
}

// quizKey is a quiz's right answer (its option bytes) and explanation.
type quizKey struct {
	correct  []byte
	solution string
}

// SetQuiz gives the quiz of poll ID pollID (one Send carries) its right
// answer, the option correct, and its explanation, solution (""
// none). As Telegram does, each viewer's results mark the right answer
// (correct) and carry the explanation once they answered, and everyone's
// once the quiz is closed; before, neither.
func (s *Server) SetQuiz(pollID int64, correct []byte, solution string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.quizzes == nil {
		s.quizzes = map[int64]quizKey{}
	}
	s.quizzes[pollID] = quizKey{correct: correct, solution: solution}
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
// now, and tells its owner (with the poll, when withPoll); it returns the
// update of voter's copy (nil for 0).
func (s *Server) pollChanged(gid int, p tg.Poll, withPoll bool, voter int64) *tg.UpdateMessagePoll {
	var mine *tg.UpdateMessagePoll
	voters := s.votes[p.ID]
	key, isQuiz := s.quizzes[p.ID]
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
		// A quiz's right answer and explanation: to who answered, to
		// all once closed.
		reveal := isQuiz && (p.Closed || len(voters[owner]) > 0)
		if reveal {
			r.Solution = key.solution
		}
		for _, a := range p.Answers {
			pa, ok := a.(*tg.PollAnswer)
			if !ok {
				continue
			}
			v := tg.PollAnswerVoters{Option: pa.Option, Correct: reveal && bytes.Equal(pa.Option, key.correct)}
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
		if owner == voter {
			mine = u
		}
	}
	return mine
}

// registerPolls serves messages.sendVote as Telegram does for a message
// of a private chat or a basic group (the fake keeps no votes in
// channels): a closed poll is MESSAGE_POLL_CLOSED, a quiz voted in
// already REVOTE_NOT_ALLOWED (a quiz is answered once, and not taken
// back), several options in a poll of one answer OPTIONS_TOO_MUCH, an
// option that is none of the poll's OPTION_INVALID. The vote is then
// the user's (no option: taken back) and, as for Vote, each box's copy
// has the new results and each owner is told by updateMessagePoll: the
// answer holds the voter's, which their devices get pushed too (the
// asking one included), as a repeat the client must not show twice.
func (s *Server) registerPolls(d *tgtest.Dispatcher) {
	handle(s, d, tg.MessagesSendVoteRequestTypeID, "messages.sendVote", func(k *key, r *tg.MessagesSendVoteRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		if e := s.voteErr; e != "" {
			s.voteErr = ""
			return nil, tgerr.New(400, e)
		}
		gid := s.boxOf(k.user).gids[r.MsgID]
		p, ok := s.pollOf(gid)
		if gid == 0 || !ok {
			return nil, tgerr.New(400, "MESSAGE_ID_INVALID")
		}
		switch {
		case p.Closed:
			return nil, tgerr.New(400, "MESSAGE_POLL_CLOSED")
		case p.Quiz && len(s.votes[p.ID][k.user]) > 0:
			return nil, tgerr.New(400, "REVOTE_NOT_ALLOWED")
		case len(r.Options) > 1 && !p.MultipleChoice:
			return nil, tgerr.New(400, "OPTIONS_TOO_MUCH")
		}
		for _, o := range r.Options {
			if !slices.ContainsFunc(p.Answers, func(a tg.PollAnswerClass) bool {
				pa, ok := a.(*tg.PollAnswer)
				return ok && bytes.Equal(pa.Option, o)
			}) {
				return nil, tgerr.New(400, "OPTION_INVALID")
			}
		}
		if s.votes == nil {
			s.votes = map[int64]map[int64][][]byte{}
		}
		if s.votes[p.ID] == nil {
			s.votes[p.ID] = map[int64][][]byte{}
		}
		if len(r.Options) == 0 {
			delete(s.votes[p.ID], k.user)
		} else {
			s.votes[p.ID][k.user] = slices.Clone(r.Options)
		}
		mine := s.pollChanged(gid, p, false, k.user)
		return &tg.Updates{Updates: []tg.UpdateClass{mine}, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user), Date: now()}, nil
	})
}

// registerMessages serves messages.getMessages (the user's box: private
// chats and basic groups) and channels.getMessages (a channel's, for a
// member), by inputMessageID only, as Telegram does: each message asked
// for, in order, messageEmpty for one the box or channel has not. A
// channel's copy is as its viewer sees it (out set on their own).
func (s *Server) registerMessages(d *tgtest.Dispatcher) {
	handle(s, d, tg.MessagesGetMessagesRequestTypeID, "messages.getMessages", func(k *key, r *tg.MessagesGetMessagesRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		if len(r.ID) == 0 {
			return nil, tgerr.New(400, "MESSAGE_IDS_EMPTY")
		}
		b := s.boxOf(k.user)
		out := &tg.MessagesMessages{Users: s.usersFor(k.user), Chats: s.chatsFor(k.user)}
		for _, in := range r.ID {
			id, _ := in.(*tg.InputMessageID)
			if id != nil && b.msgs[id.ID] != nil {
				out.Messages = append(out.Messages, b.msgs[id.ID])
				continue
			}
			out.Messages = append(out.Messages, &tg.MessageEmpty{ID: inputMessageID(in)})
		}
		return out, nil
	})
	handle(s, d, tg.ChannelsGetMessagesRequestTypeID, "channels.getMessages", func(k *key, r *tg.ChannelsGetMessagesRequest) (bin.Encoder, error) {
		c, err := s.channelOf(k, r.Channel)
		if err != nil {
			return nil, err
		}
		if len(r.ID) == 0 {
			return nil, tgerr.New(400, "MESSAGE_IDS_EMPTY")
		}
		out := &tg.MessagesChannelMessages{Pts: c.pts, Count: len(c.msgs), Users: s.usersFor(k.user), Chats: s.chatsFor(k.user)}
		for _, in := range r.ID {
			id, _ := in.(*tg.InputMessageID)
			if id != nil && c.msgs[id.ID] != nil {
				out.Messages = append(out.Messages, view(c.msgs[id.ID], k.user))
				continue
			}
			out.Messages = append(out.Messages, &tg.MessageEmpty{ID: inputMessageID(in)})
		}
		return out, nil
	})
	// messages.getPollResults: the results of the poll of msg_id in peer
	// as the asker's copy has them, in an updateMessagePoll without the
	// poll itself (the asker has it: Telegram adds it only for a client
	// it knows lacks it). A message not in that chat, or no poll's, is
	// MESSAGE_ID_INVALID.
	handle(s, d, tg.MessagesGetPollResultsRequestTypeID, "messages.getPollResults", func(k *key, r *tg.MessagesGetPollResultsRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		if e := s.pollResultsErr; e != "" {
			return nil, tgerr.New(400, e)
		}
		var m *tg.Message
		if p, ok := s.peerOf(k.user, r.Peer).(*tg.PeerChannel); ok {
			in := &tg.InputChannel{ChannelID: p.ChannelID}
			if ip, ok := r.Peer.(*tg.InputPeerChannel); ok {
				in.AccessHash = ip.AccessHash
			}
			c, err := s.channelOf(k, in)
			if err != nil {
				return nil, err
			}
			m = c.msgs[r.MsgID]
		} else if bm := s.boxOf(k.user).msgs[r.MsgID]; bm != nil && peerKey(bm.PeerID) == peerKey(s.peerOf(k.user, r.Peer)) {
			m = bm
		}
		md, ok := (*tg.MessageMediaPoll)(nil), false
		if m != nil {
			md, ok = m.Media.(*tg.MessageMediaPoll)
		}
		if !ok {
			return nil, tgerr.New(400, "MESSAGE_ID_INVALID")
		}
		u := &tg.UpdateMessagePoll{PollID: md.Poll.ID, Results: md.Results}
		u.SetFlags()
		return &tg.Updates{Updates: []tg.UpdateClass{u}, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user), Date: now()}, nil
	})
}

// inputMessageID is the ID an inputMessageID names; 0 for another kind.
func inputMessageID(in tg.InputMessageClass) int {
	if id, ok := in.(*tg.InputMessageID); ok {
		return id.ID
	}
	return 0
}

// SetPollResultsError makes every messages.getPollResults answer this
// error from now on ("" = none): Telegram failing to give a poll's
// results.
func (s *Server) SetPollResultsError(rpcError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pollResultsErr = rpcError
}

// Bounds of a poll a user account sends, as Telegram's layer 228 has
// them: the question 1 to 255 characters, 2 to 12 options (the app
// config's poll_answers_max) of 1 to 100 characters each (UTF-16 code
// units, as Telegram counts).
const (
	PollQuestionMax = 255
	PollOptionsMax  = 12
	PollOptionMax   = 100
)

// pollFirstID is the first ID the fake gives a sent poll: apart from the
// IDs tests give the polls they make.
const pollFirstID = 1 << 40

// sentPoll is the poll of messages.sendMedia's inputMediaPoll as Telegram
// makes it: a poll ID of its own and, for each inputPollAnswer, its
// option bytes ("0", "1", ...; a pollAnswer keeps those it gives). A
// question or an option empty or too long, fewer than 2 options or more
// than PollOptionsMax, or an option twice is refused with Telegram's
// error.
func (s *Server) sentPoll(in *tg.InputMediaPoll) (tg.MessageMediaClass, error) {
	p := in.Poll
	if n := utf16Len(p.Question.Text); n == 0 || n > PollQuestionMax {
		return nil, tgerr.New(400, "POLL_QUESTION_INVALID")
	}
	if len(p.Answers) < 2 || len(p.Answers) > PollOptionsMax {
		return nil, tgerr.New(400, "POLL_ANSWERS_INVALID")
	}
	var answers []tg.PollAnswerClass
	seen := map[string]bool{}
	for i, a := range p.Answers {
		text := a.GetText()
		if n := utf16Len(text.Text); n == 0 || n > PollOptionMax {
			return nil, tgerr.New(400, "POLL_ANSWER_INVALID")
		}
		if seen[text.Text] {
			return nil, tgerr.New(400, "POLL_OPTION_DUPLICATE")
		}
		seen[text.Text] = true
		option := []byte(strconvItoa(i))
		if pa, ok := a.(*tg.PollAnswer); ok && len(pa.Option) > 0 {
			option = pa.Option
		}
		answers = append(answers, &tg.PollAnswer{Text: text, Option: option})
	}
	if s.pollSeq < pollFirstID {
		s.pollSeq = pollFirstID
	}
	s.pollSeq++
	p.ID, p.Answers = s.pollSeq, answers
	p.SetFlags()
	return &tg.MessageMediaPoll{Poll: p}, nil
}

// utf16Len is s's length in UTF-16 code units.
func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// VoteOf is user's vote in the poll of message gid (Send's answer): the
// options' bytes, in the order given; none when they have not voted.
func (s *Server) VoteOf(user int64, gid int) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pollOf(gid)
	if !ok {
		return nil
	}
	return slices.Clone(s.votes[p.ID][user])
}

// SetVoteError makes the next messages.sendVote answer this error (such
// as POLL_ANSWERS_INVALID): a refusal the fake does not otherwise make.
func (s *Server) SetVoteError(rpcError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.voteErr = rpcError
}

// closePoll serves messages.editMessage with inputMediaPoll, which is how
// a poll's author closes it (closed set; Telegram takes nothing else of
// the poll given, so a client may send the poll as it is or almost
// nothing): the message must be user k's in the chat named
// (MESSAGE_ID_INVALID) and carry a poll (MEDIA_INVALID), the poll be
// theirs (MESSAGE_AUTHOR_REQUIRED) and open (MESSAGE_NOT_MODIFIED); an
// edit that does not close it is MEDIA_INVALID. Every box's copy is then
// closed, with its results, and each owner is told as for ClosePoll
// (updateMessagePoll with the poll, their devices the asking one's
// included), then by the message's edit (updateEditMessage, edit_hide:
// no new text), pushed to the others; the answer holds the closer's
// updateMessagePoll first, then their edit, as Telegram's does.
func (s *Server) closePoll(k *key, r *tg.MessagesEditMessageRequest, in *tg.InputMediaPoll) (bin.Encoder, error) {
	if p, ok := s.peerOf(k.user, r.Peer).(*tg.PeerChannel); ok {
		return s.closeChannelPoll(k, p.ChannelID, r, in)
	}
	b := s.boxOf(k.user)
	m := b.msgs[r.ID]
	if m == nil || peerKey(m.PeerID) != peerKey(s.peerOf(k.user, r.Peer)) {
		return nil, tgerr.New(400, "MESSAGE_ID_INVALID")
	}
	md, ok := m.Media.(*tg.MessageMediaPoll)
	switch {
	case !ok || !in.Poll.Closed:
		return nil, tgerr.New(400, "MEDIA_INVALID")
	case !m.Out:
		return nil, tgerr.New(403, "MESSAGE_AUTHOR_REQUIRED")
	case md.Poll.Closed:
		return nil, tgerr.New(400, "MESSAGE_NOT_MODIFIED")
	}
	gid := b.gids[r.ID]
	p := md.Poll
	p.Closed = true
	p.SetFlags()
	poll := s.pollChanged(gid, p, true, k.user)
	var edit tg.UpdateClass
	for owner, id := range s.links[gid] {
		om := s.boxOf(owner).msgs[id]
		if om == nil {
			continue
		}
		cp := *om
		cp.EditDate, cp.EditHide = now(), true
		cp.SetFlags()
		s.boxOf(owner).msgs[id] = &cp
		u := &tg.UpdateEditMessage{Message: &cp}
		s.record(owner, u)
		if owner == k.user {
			edit = u
			continue
		}
		s.push(owner, u)
	}
	return &tg.Updates{Updates: []tg.UpdateClass{poll, edit}, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user), Date: now()}, nil
}

// closeChannelPoll is closePoll in a channel or supergroup: the message
// is the channel's (a member's request), the poll the asker's (a
// supergroup's message from them; a broadcast channel's post by its
// creator or an admin). The channel's one copy is closed with its results
// as they stand (the fake keeps no votes in channels: none), each member told
// by updateMessagePoll with the poll, then by the message's edit
// (updateEditChannelMessage, in the channel's pts), pushed to all but
// the asker, whose answer holds both, as closePoll's.
func (s *Server) closeChannelPoll(k *key, channel int64, r *tg.MessagesEditMessageRequest, in *tg.InputMediaPoll) (bin.Encoder, error) {
	c := s.channels[channel]
	if c == nil || !slices.Contains(c.Members, k.user) {
		return nil, tgerr.New(400, "CHANNEL_INVALID")
	}
	m := c.msgs[r.ID]
	if m == nil {
		return nil, tgerr.New(400, "MESSAGE_ID_INVALID")
	}
	md, ok := m.Media.(*tg.MessageMediaPoll)
	author := false
	if f, isUser := m.FromID.(*tg.PeerUser); isUser {
		author = f.UserID == k.user
	} else if c.Broadcast {
		author = k.user == c.Creator || slices.Contains(c.Admins, k.user)
	}
	switch {
	case !ok || !in.Poll.Closed:
		return nil, tgerr.New(400, "MEDIA_INVALID")
	case !author:
		return nil, tgerr.New(403, "MESSAGE_AUTHOR_REQUIRED")
	case md.Poll.Closed:
		return nil, tgerr.New(400, "MESSAGE_NOT_MODIFIED")
	}
	p := md.Poll
	p.Closed = true
	p.SetFlags()
	res := md.Results
	if res.Results == nil {
		// No vote counted yet: each option's zero, as Telegram gives.
		for _, a := range p.Answers {
			if pa, ok := a.(*tg.PollAnswer); ok {
				res.Results = append(res.Results, tg.PollAnswerVoters{Option: pa.Option})
			}
		}
	}
	res.SetFlags()
	cp := *m
	cp.Media = &tg.MessageMediaPoll{Poll: p, Results: res}
	cp.EditDate, cp.EditHide = now(), true
	cp.SetFlags()
	c.msgs[r.ID] = &cp
	c.pts++
	c.log = append(c.log, chEntry{pts: c.pts, date: cp.Date, u: &tg.UpdateEditChannelMessage{Message: &cp, Pts: c.pts, PtsCount: 1}})
	poll := &tg.UpdateMessagePoll{PollID: p.ID, Results: res}
	poll.SetPoll(p)
	poll.SetFlags()
	var edit tg.UpdateClass
	for _, u := range c.Members {
		s.push(u, poll)
		e := &tg.UpdateEditChannelMessage{Message: view(&cp, u), Pts: c.pts, PtsCount: 1}
		if u == k.user {
			edit = e
			continue
		}
		s.push(u, e)
	}
	return &tg.Updates{Updates: []tg.UpdateClass{poll, edit}, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user), Date: now()}, nil
}

// ChannelPollClosed reports whether the poll of message id of channel
// is closed.
func (s *Server) ChannelPollClosed(channel int64, id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.channels[channel]; c != nil && c.msgs[id] != nil {
		if md, ok := c.msgs[id].Media.(*tg.MessageMediaPoll); ok {
			return md.Poll.Closed
		}
	}
	return false
}
