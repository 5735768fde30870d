package botmode

import (
	"context"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// The Bot API's bounds of a poll (sendPoll): the question up to 300
// characters, each option up to 100, 2 to 12 options.
const (
	pollQuestionMax = 300
	pollOptionMax   = 100
	pollOptionsMax  = 12
)

// StartPoll sends the user's poll as the bot (sendPoll; anonymous, as the
// Bot API's default, so that it may go to a channel too). Telegram tells
// a bot every change of a poll it sent (a poll update, msgpolls.go): the
// poll's message is remembered as the user's own, and each vote corrects
// it with the counts, from the user. A poll past the Bot API's bounds is
// BAD_REQUEST naming the bound, Telegram not asked.
func (s *Session) StartPoll(ctx context.Context, c sdk.Call, p *pb.Poll) (sdk.Result, error) {
	chatID, _, err := s.target(c, "")
	if err != nil {
		return sdk.Result{}, err
	}
	if err := pollBounds(p); err != nil {
		return sdk.Result{}, err
	}
	_, thread, _ := splitTopic(c.ChatID)
	params := &bot.SendPollParams{ChatID: chatID, MessageThreadID: thread, Question: p.Question, AllowsMultipleAnswers: p.Multiple}
	for _, o := range p.Options {
		params.Options = append(params.Options, models.InputPollOption{Text: o})
	}
	m, err := waitOutFlood(ctx, func() (*models.Message, error) { return s.bot.SendPoll(ctx, params) })
	if err != nil {
		return sdk.Result{}, commandError("sending a poll", err)
	}
	if thread != 0 {
		s.topicOfMsg.set(chatID, m.ID, thread)
		if err := s.topicOfMsg.save(); err != nil {
			s.log.Warn("telegram bot: the topic of a poll sent could not be stored; a reaction to it after a restart lands in the forum's room", "err", err)
		}
	}
	if m.Poll != nil {
		// The user's: from the bot, even in a channel (where Telegram
		// names the channel as the sender).
		me := s.identity()
		mine := *m
		mine.SenderChat, mine.AuthorSignature = nil, ""
		mine.From = &models.User{ID: me.ID, IsBot: true, FirstName: me.Name, Username: me.Username}
		s.polls.remember(&mine)
	} else {
		s.log.Warn("telegram bot: the answer to sendPoll has no poll; its votes will not show", "login", s.cfg.LoginID, "chat", c.ChatID)
	}
	return resultOf(m), nil
}

// pollBounds refuses, as BAD_REQUEST naming the bound, a poll past the
// Bot API's bounds.
func pollBounds(p *pb.Poll) error {
	if n := utf16Len(p.Question); n > pollQuestionMax {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a bot's poll question is at most %d characters (this one has %d)", pollQuestionMax, n)
	}
	if len(p.Options) > pollOptionsMax {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a poll has at most %d options (this one has %d)", pollOptionsMax, len(p.Options))
	}
	for i, o := range p.Options {
		if n := utf16Len(o); n > pollOptionMax {
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a poll's option is at most %d characters (option %d has %d)", pollOptionMax, i+1, n)
		}
	}
	return nil
}
