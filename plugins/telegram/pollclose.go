package telegram

import (
	"bytes"
	"context"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var _ sdk.PollCloser = (*Session)(nil)

// ClosePoll closes a poll the user started (sdk.PollCloser), as
// Telegram's apps do: messages.editMessage of the poll's message with
// inputMediaPoll, the poll as it is with closed set (a quiz's right
// answers too, when known). The poll is the one the session remembers
// for the message (polls.go); one it does not (from before the login, or
// forgotten) is asked of Telegram and remembered (fetchPoll): a message
// Telegram has not in this chat, or that is no poll, is NOT_FOUND. Only
// its author may close a poll: another person's is NOT_ALLOWED, Telegram
// not asked to close it (a channel's post, signed by the channel, is
// Telegram's to judge: MESSAGE_AUTHOR_REQUIRED is NOT_ALLOWED too). A
// poll closed already is no error, and asks nothing; one the session
// had open (closed while the gateway was away, or fetched closed) has
// its message corrected to the results (closedUnseen).
// Telegram's answer holds updateMessagePoll with the closed poll (and
// the message's edit), which the poll's update path turns into the
// correction of the poll's message, "(closed)" with its results, as for
// a poll closed on another device; the copies the update stream brings
// again change nothing the text shows, so the correction comes once.
func (s *Session) ClosePoll(ctx context.Context, c sdk.Call, p *pb.ClosePoll) error {
	if s.bot != nil {
		return s.bot.ClosePoll(ctx, c, p)
	}
	id, err := msgID(p.TargetId)
	if err != nil {
		return err
	}
	pc, err := s.pollFor(ctx, c.ChatID, id, p.TargetId) // pollfetch.go
	if err != nil {
		return err
	}
	md, pm := pc.md, pc.pm
	if !pm.sender.GetIsFromMe() {
		if kind, _, err := parsePeer(pm.sender.GetUserId()); err == nil && kind == peerUser {
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "telegram: only who started a poll may close it; %q is %s's", md.Poll.Question.Text, pollAuthor(pm.sender))
		}
	}
	if md.Poll.Closed {
		if pc.fetched {
			// Fetched, closed: the user's copy, from before, may read
			// open. Corrected to the results, asked for if not given.
			if md.Results.Results == nil {
				s.closedUnseen(ctx, pc.api, pc.peer, id, md.Poll.ID)
			} else {
				s.emitAll(s.pollCorrections(s.polls.tell(md.Poll.ID)))
			}
		}
		return nil // closed already: its message says so
	}
	if err := pc.connect(ctx, s, c.ChatID); err != nil {
		return err
	}
	api, mgr, peer := pc.api, pc.mgr, pc.peer
	closed := md.Poll
	closed.Closed = true
	closed.SetFlags()
	in := &tg.InputMediaPoll{Poll: closed}
	if closed.Quiz {
		if right := correctAnswers(&md); len(right) > 0 {
			in.SetCorrectAnswers(right)
		}
	}
	req := &tg.MessagesEditMessageRequest{Peer: peer, ID: id}
	req.SetMedia(in)
	upd, err := api.MessagesEditMessage(ctx, req)
	switch {
	case tgerr.Is(err, "MESSAGE_NOT_MODIFIED", "MESSAGE_POLL_CLOSED"):
		// Closed already, unseen (the closing's update has no pts:
		// getDifference does not bring it after a time away): the
		// poll's message is corrected to the results as they are.
		s.closedUnseen(ctx, api, peer, id, md.Poll.ID)
		return nil
	case tgerr.Is(err, "MESSAGE_AUTHOR_REQUIRED", "MESSAGE_EDIT_FORBIDDEN", "CHAT_ADMIN_REQUIRED"):
		e, _ := tgerr.As(err)
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "telegram: only who started a poll may close it (%s)", e.Type)
	case tgerr.Is(err, "MESSAGE_ID_INVALID"):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: Telegram does not know message %s in this chat (MESSAGE_ID_INVALID)", p.TargetId)
	case err != nil:
		return cmdErr("close the poll", err)
	}
	if err := mgr.Handle(ctx, upd); err != nil {
		// Closed; the poll's message is corrected with the next update
		// of the poll.
		s.n.log().Warn("telegram: updates of a poll's closing", "login", s.login.LoginID, "err", err)
	}
	return nil
}

// pollAuthor names a poll's sender for a refusal.
func pollAuthor(snd *pb.Sender) string {
	if snd.GetName() != "" {
		return snd.GetName()
	}
	return snd.GetUserId()
}

// correctAnswers are the indexes of a quiz's right answers, as its
// results mark them (its author's are marked).
func correctAnswers(md *tg.MessageMediaPoll) []int {
	var out []int
	for i, a := range md.Poll.Answers {
		pa, ok := a.(*tg.PollAnswer)
		if !ok {
			continue
		}
		for _, r := range md.Results.Results {
			if r.Correct && bytes.Equal(r.Option, pa.Option) {
				out = append(out, i)
			}
		}
	}
	return out
}
