package botmode

import (
	"context"
	"strings"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var _ sdk.PollCloser = (*Session)(nil)

// ClosePoll closes a poll the user started as the bot (sdk.PollCloser):
// stopPoll, which takes only the bot's own polls. The poll is the one
// the session remembers for the message (msgpolls.go): a message whose
// poll it does not know is NOT_FOUND, another's poll NOT_ALLOWED,
// Telegram not asked. A poll closed already is no error. stopPoll
// answers with the closed poll, which corrects the poll's message with
// its results and "(closed)"; the poll update Telegram sends the bot
// after it tells the same state, and corrects nothing again.
func (s *Session) ClosePoll(ctx context.Context, c sdk.Call, p *pb.ClosePoll) error {
	chatID, msgID, err := s.target(c, p.TargetId)
	if err != nil {
		return err
	}
	_, m, closed, ok := s.polls.byMessage(chatID, msgID)
	if !ok || msgID == 0 {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "message %s is no poll the gateway knows (polls are known from when they arrive); close it in Telegram", p.TargetId)
	}
	me := s.identity().ID
	if m.SenderChat != nil || m.From == nil || m.From.ID != me || me == 0 {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "a bot closes only the polls it sent (stopPoll); close this one in Telegram")
	}
	if closed {
		return nil
	}
	poll, err := waitOutFlood(ctx, func() (*models.Poll, error) {
		return s.bot.StopPoll(ctx, &bot.StopPollParams{ChatID: chatID, MessageID: msgID})
	})
	if err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "poll has already been closed") {
			return nil
		}
		return commandError("closing the poll", err)
	}
	for _, ev := range s.pollEvents(poll) {
		ev.LoginId = s.cfg.LoginID
		s.cfg.Host.Emit(ev)
	}
	return nil
}
