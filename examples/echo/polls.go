package echo

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Polls: "poll QUESTION? A / B / C" sent to a contact makes the contact
// ask it ("poll-multi" allows several answers, "poll-closed" is closed
// already); the user votes with a reply "/vote 2" (the gateway's
// command), and the poll's message is corrected with the counts. A poll
// the user starts ("/poll", the gateway's command) the contact answers
// at once with a vote for its first option; the user closes it with a
// reply "/poll-close".

// poll is a poll the echo network made, and the user's vote in it.
type poll struct {
	question         string
	options          []string
	multiple, closed bool
	mine             []int // the user's chosen options
	theirs           []int // the contact's, in a poll of the user's
	fromMe           bool  // the user started it
}

// polls are the polls made, by username, chat and message ID; in memory,
// as the rest.
type polls struct {
	mu sync.Mutex
	m  map[string]*poll
}

func (ps *polls) put(key string, p *poll) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.m == nil {
		ps.m = map[string]*poll{}
	}
	ps.m[key] = p
}

// text is the poll as its message reads, the user's vote counted.
func (p *poll) text() string {
	mp := mediatext.Poll{Question: p.question, Multiple: p.multiple, Closed: p.closed, Live: true}
	for i, o := range p.options {
		mp.Options = append(mp.Options, mediatext.Option{Text: o, Counted: true})
		mp.Options[i].Votes = count(p.mine, i) + count(p.theirs, i)
	}
	return mediatext.PollText(mp, "with a reply: /vote 1")
}

// count is 1 when chosen has the option i.
func count(chosen []int, i int) int {
	if slices.Contains(chosen, i) {
		return 1
	}
	return 0
}

// StartPoll starts the user's poll; the contact votes for its first
// option, the poll's message corrected with that vote.
func (s *Session) StartPoll(_ context.Context, c sdk.Call, sp *pb.Poll) (sdk.Result, error) {
	if err := s.inChat(c); err != nil {
		return sdk.Result{}, err
	}
	p := &poll{question: sp.Question, options: sp.Options, multiple: sp.Multiple, fromMe: true, theirs: []int{0}}
	id := s.n.newID()
	s.n.polls.put(s.loginID+"\x00"+c.ChatID+"\x00"+id, p)
	s.n.polls.mu.Lock()
	text := p.text()
	s.n.polls.mu.Unlock()
	ev := s.event(c)
	ev.EventId = ""
	ev.Sender = &pb.Sender{UserId: s.loginID, IsFromMe: true}
	ev.Payload = &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: id, Text: text}}
	s.emit(ev)
	return sdk.Result{MessageID: id, Time: time.Now(), Meta: metaFor(id)}, nil
}

// pollCommand makes the contact ask the poll that rest describes.
func (s *Session) pollCommand(c sdk.Call, word, rest string) error {
	q, opts, ok := strings.Cut(rest, "?")
	var options []string
	for o := range strings.SplitSeq(opts, "/") {
		if o = strings.TrimSpace(o); o != "" {
			options = append(options, o)
		}
	}
	if !ok || len(options) < 2 {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%s: QUESTION? OPTION / OPTION ...", word)
	}
	p := &poll{question: strings.TrimSpace(q) + "?", options: options, multiple: word == "poll-multi", closed: word == "poll-closed"}
	ev := s.event(c)
	s.n.polls.put(s.loginID+"\x00"+c.ChatID+"\x00"+ev.EventId, p)
	ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: p.text()}}
	s.emit(ev)
	return nil
}

// Vote is the user's vote in a poll of the echo network's: the poll's
// message is corrected with it counted.
func (s *Session) Vote(_ context.Context, c sdk.Call, v *pb.Vote) error {
	if err := s.inChat(c); err != nil {
		return err
	}
	ps := &s.n.polls
	ps.mu.Lock()
	p := ps.m[s.loginID+"\x00"+c.ChatID+"\x00"+v.TargetId]
	if p == nil {
		ps.mu.Unlock()
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no poll of the echo network's is message %s", v.TargetId)
	}
	if p.closed {
		ps.mu.Unlock()
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the poll is closed")
	}
	chosen, err := mediatext.PollChoices(p.options, v.Choices, p.multiple)
	if err != nil {
		ps.mu.Unlock()
		var ec *mediatext.ErrChoice
		if errors.As(err, &ec) {
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%s", ec.Text)
		}
		return err
	}
	p.mine = chosen
	text := p.text()
	fromMe := p.fromMe
	ps.mu.Unlock()
	ev := s.event(c)
	ev.EventId = ""
	if fromMe {
		ev.Sender = &pb.Sender{UserId: s.loginID, IsFromMe: true}
	}
	ev.Payload = &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: v.TargetId, Text: text}}
	s.emit(ev)
	return nil
}

// ClosePoll closes a poll the user started: its message is corrected to
// the closed poll's text, with the counts.
func (s *Session) ClosePoll(_ context.Context, c sdk.Call, cp *pb.ClosePoll) error {
	if err := s.inChat(c); err != nil {
		return err
	}
	ps := &s.n.polls
	ps.mu.Lock()
	p := ps.m[s.loginID+"\x00"+c.ChatID+"\x00"+cp.TargetId]
	switch {
	case p == nil:
		ps.mu.Unlock()
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no poll of the echo network's is message %s", cp.TargetId)
	case !p.fromMe:
		ps.mu.Unlock()
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "only who started a poll closes it")
	case p.closed:
		ps.mu.Unlock()
		return nil
	}
	p.closed = true
	text := p.text()
	ps.mu.Unlock()
	ev := s.event(c)
	ev.EventId = ""
	ev.Sender = &pb.Sender{UserId: s.loginID, IsFromMe: true}
	ev.Payload = &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: cp.TargetId, Text: text}}
	s.emit(ev)
	return nil
}
