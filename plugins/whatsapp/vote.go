package whatsapp

import (
	"context"
	"errors"
	"time"

	"go.mau.fi/whatsmeow"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// The user votes in a poll from XMPP (the gateway's "/vote 2" in a reply
// to the poll's message): only in a poll the plugin keeps (polls.go),
// since the vote names the options by their names' hashes and is
// encrypted with the poll's message secret, which whatsmeow stored when
// the poll came (historypoll.go for one from history). The vote is then
// counted as one the user casts on the phone is, under the user's own
// ID and with its time: the same vote coming again (a history sync
// giving it back) changes nothing.

var _ sdk.Voter = (*Session)(nil)

// Vote sends the user's vote in poll v.TargetId and corrects the poll's
// message with the counts.
func (s *Session) Vote(ctx context.Context, c sdk.Call, v *pb.Vote) error {
	poll, p, ok := s.polls.poll(v.TargetId)
	if !ok || chatIDOf(s.conv.ids, chatOf(&poll)) != c.ChatID {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND,
			"whatsapp: this message is no poll the gateway knows (one seen long ago is forgotten): vote on your phone")
	}
	chosen, err := pollChoices(p, v.Choices)
	if err != nil {
		return err
	}
	names := make([]string, len(chosen))
	for i, o := range chosen {
		names[i] = p.Options[o].Text
	}
	msg, err := s.d.cli.BuildPollVote(ctx, &poll, names)
	if errors.Is(err, whatsmeow.ErrOriginalMessageSecretNotFound) {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: this poll's key was not kept (a poll from history without it): vote on your phone")
	} else if err != nil {
		return s.sendErr("vote", err)
	}
	resp, err := s.d.cli.SendMessage(ctx, chatOf(&poll).ToNonAD(), msg, s.sendID(c, 0))
	if err != nil {
		return s.sendErr("vote", err)
	}
	pu := msg.GetPollUpdateMessage()
	at := pu.GetSenderTimestampMS()
	if at == 0 {
		at = resp.Timestamp.UnixMilli()
	}
	text, t := s.polls.vote(poll.ID, s.conv.self, "", at, whatsmeow.HashPollOptions(names))
	if t != tallyChanged {
		// The same vote again (the message shows it), or the poll
		// forgotten since: the vote went out all the same.
		s.log.Debug("a vote from XMPP that changes no count shown", "poll", poll.ID, "tally", string(t))
		return nil
	}
	ts := resp.Timestamp
	if ts.IsZero() {
		ts = time.UnixMilli(at)
	}
	s.correctPoll(&poll, text, ts)
	return nil
}

// pollChoices resolves the user's choices to p's options
// (mediatext.PollChoices); one that names none, or several in a poll of
// one answer, is BAD_REQUEST naming the options.
func pollChoices(p mediatext.Poll, choices []string) ([]int, error) {
	opts := make([]string, len(p.Options))
	for i, o := range p.Options {
		opts[i] = o.Text
	}
	chosen, err := mediatext.PollChoices(opts, choices, p.Multiple)
	if ec, ok := errors.AsType[*mediatext.ErrChoice](err); ok {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: %s", ec.Text)
	}
	return chosen, err
}
