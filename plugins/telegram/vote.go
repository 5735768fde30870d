package telegram

import (
	"context"
	"errors"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var _ sdk.Voter = (*Session)(nil)

// Vote votes in a poll (sdk.Voter): messages.sendVote with the options
// v.Choices name, each a 1-based number in the order the poll's text
// lists them or an option's text (any case); none takes the vote back.
// The poll is the one the session remembers for the message (polls.go),
// with its options' bytes; one it does not (from before the login, or
// forgotten) is asked of Telegram and remembered (fetchPoll): a message
// Telegram has not in this chat, or that is no poll, is NOT_FOUND. A poll
// found closed that the session had open (MESSAGE_POLL_CLOSED: closed
// while the gateway was away), or fetched closed, has its message
// corrected to its results (closedUnseen) before the refusal. A choice that names no option, or several in a poll of one
// answer, is BAD_REQUEST naming the options; a closed poll, or a quiz
// answered already (REVOTE_NOT_ALLOWED), is NOT_ALLOWED. Telegram's
// answer holds updateMessagePoll, which the poll's update path turns into
// the correction of the poll's message with its counts; the copy that
// the update stream brings again changes nothing the text shows, so the
// correction comes once. A bot cannot vote: the Bot API has no way to.
func (s *Session) Vote(ctx context.Context, c sdk.Call, v *pb.Vote) error {
	if s.bot != nil {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "telegram: a bot cannot vote in polls (the Bot API has no way to); vote in Telegram, or log in with a user account")
	}
	id, err := msgID(v.TargetId)
	if err != nil {
		return err
	}
	pc, err := s.pollFor(ctx, c.ChatID, id, v.TargetId) // pollfetch.go
	if err != nil {
		return err
	}
	p := &pc.md.Poll
	if p.Closed || p.CloseDate != 0 && time.Unix(int64(p.CloseDate), 0).Before(time.Now()) {
		if pc.fetched && p.Closed {
			// The user's copy, from before, may read open.
			s.closedUnseen(ctx, pc.api, pc.peer, id, p.ID)
		}
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "telegram: the poll %q is closed", p.Question.Text)
	}
	options, err := chosen(p, v.Choices)
	if err != nil {
		return err
	}
	if err := pc.connect(ctx, s, c.ChatID); err != nil {
		return err
	}
	api, mgr, peer := pc.api, pc.mgr, pc.peer
	upd, err := api.MessagesSendVote(ctx, &tg.MessagesSendVoteRequest{Peer: peer, MsgID: id, Options: options})
	switch {
	case tgerr.Is(err, "MESSAGE_POLL_CLOSED"):
		// Closed unseen (the closing's update has no pts): the poll's
		// message is corrected to its results, then the refusal.
		s.closedUnseen(ctx, api, peer, id, p.ID)
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "telegram: the poll %q is closed (MESSAGE_POLL_CLOSED)", p.Question.Text)
	case tgerr.Is(err, "REVOTE_NOT_ALLOWED"):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "telegram: this poll takes no change of vote: a quiz is answered once (REVOTE_NOT_ALLOWED)")
	case tgerr.Is(err, "POLL_ANSWERS_INVALID", "OPTION_INVALID", "OPTIONS_TOO_MUCH"):
		e, _ := tgerr.As(err)
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: Telegram refused the choice (%s); the options are %s", e.Type, mediatext.OptionList(optionTexts(p)))
	case err != nil:
		return cmdErr("vote", err)
	}
	if err := mgr.Handle(ctx, upd); err != nil {
		// The vote is in; the poll's message is corrected with the next
		// update of the poll.
		s.n.log().Warn("telegram: updates of a vote", "login", s.login.LoginID, "err", err)
	}
	return nil
}

// chosen is the options' bytes that choices name in poll p
// (mediatext.PollChoices), in the poll's order, each once. Only answers
// with option bytes (pollAnswer, as every poll received has) can be
// chosen.
func chosen(p *tg.Poll, choices []string) ([][]byte, error) {
	picked, err := mediatext.PollChoices(optionTexts(p), choices, p.MultipleChoice)
	if ec, ok := errors.AsType[*mediatext.ErrChoice](err); ok {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: %s", ec.Text)
	} else if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, i := range picked {
		a, ok := p.Answers[i].(*tg.PollAnswer)
		if !ok {
			return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: option %d of the poll cannot be chosen here", i+1)
		}
		out = append(out, a.Option)
	}
	return out, nil
}

// optionTexts are the texts of p's options.
func optionTexts(p *tg.Poll) []string {
	texts := make([]string, len(p.Answers))
	for i, a := range p.Answers {
		texts[i] = a.GetText().Text
	}
	return texts
}
