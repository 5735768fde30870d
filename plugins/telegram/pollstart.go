package telegram

import (
	"context"
	"unicode/utf16"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var _ sdk.PollStarter = (*Session)(nil)

// Telegram's bounds of a poll a user account sends, in the layer gotd
// speaks here (228): the question up to 255 characters (bots get 300),
// each option up to 100, and 2 to poll_answers_max options (12 since
// Telegram raised it from 10, as the SDK's bound).
const (
	pollQuestionMax = 255
	pollOptionMax   = 100
	pollOptionsMax  = 12
)

// StartPoll sends the user's poll (sdk.PollStarter): messages.sendMedia
// with inputMediaPoll, several answers allowed when p says so. Its
// random_id is the txn's, as for any send (send.go), so a resend after
// the plugin died mid-send gets the poll made, not a second one. A poll
// past Telegram's bounds is BAD_REQUEST naming the bound, Telegram not
// asked. The poll is remembered with its message, the user's (polls.go):
// votes, the user's own from XMPP (Vote) as well as others', then correct
// that message with the counts, from the user.
func (s *Session) StartPoll(ctx context.Context, c sdk.Call, p *pb.Poll) (sdk.Result, error) {
	if s.bot != nil {
		return s.bot.StartPoll(ctx, c, p)
	}
	if err := pollBounds(p); err != nil {
		return sdk.Result{}, err
	}
	api, mgr, peer, err := s.chatPeer(ctx, c.ChatID)
	if err != nil {
		return sdk.Result{}, err
	}
	topic, err := s.knownTopic(ctx, c.ChatID)
	if err != nil {
		return sdk.Result{}, err
	}
	poll := tg.Poll{Question: tg.TextWithEntities{Text: p.Question}, MultipleChoice: p.Multiple}
	for _, o := range p.Options {
		// Layer 228's inputPollAnswer: Telegram gives each its option
		// bytes, which the poll in the answer carries.
		poll.Answers = append(poll.Answers, &tg.InputPollAnswer{Text: tg.TextWithEntities{Text: o}})
	}
	poll.SetFlags()
	rid := sendRandomID(s.login.LoginID, c, 0)
	req := &tg.MessagesSendMediaRequest{Peer: peer, Media: &tg.InputMediaPoll{Poll: poll}, RandomID: rid}
	if topic != 0 {
		req.SetReplyTo(topicReply(topic, 0))
	}
	s.noteSend(c, rid)
	upd, err := api.MessagesSendMedia(ctx, req)
	if err != nil {
		s.sendFailed(c, rid, err)
		return sdk.Result{}, pollErr(s.topicErr("start a poll", c.ChatID, err), err)
	}
	// The poll is remembered before the updates manager has the answer:
	// an update of the poll may follow it at once.
	if id, ok := sentID(upd, rid); ok {
		if m, ok := sentPoll(upd, id); ok {
			// Remembered as told: the user's message reads as the
			// poll at once, not as the "/poll ..." typed until a vote.
			if md, ok := m.Media.(*tg.MessageMediaPoll); ok {
				for _, ev := range s.pollEditEvents(c.ChatID, m, md, &pb.Sender{UserId: userID(s.self), IsFromMe: true}) {
					s.emit(ev)
				}
			}
		} else {
			s.n.log().Warn("telegram: the answer to a poll's send has no poll; its votes will not show", "login", s.login.LoginID, "chat", c.ChatID)
		}
	}
	return s.sentResult(ctx, mgr, c, rid, upd)
}

// pollBounds refuses, as BAD_REQUEST naming the bound, a poll past
// Telegram's bounds for a user account.
func pollBounds(p *pb.Poll) error {
	if n := utf16Len(p.Question); n > pollQuestionMax {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: a poll's question is at most %d characters (this one has %d)", pollQuestionMax, n)
	}
	if len(p.Options) > pollOptionsMax {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: a poll has at most %d options (this one has %d)", pollOptionsMax, len(p.Options))
	}
	for i, o := range p.Options {
		if n := utf16Len(o); n > pollOptionMax {
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: a poll's option is at most %d characters (option %d has %d)", pollOptionMax, i+1, n)
		}
	}
	return nil
}

// utf16Len is the length of s as Telegram counts characters: in UTF-16
// code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// pollErr words Telegram's refusals of a poll; other errors stay as
// cmdErr made them (mapped).
func pollErr(mapped, err error) error {
	e, ok := tgerr.As(err)
	if !ok {
		return mapped
	}
	switch e.Type {
	case "POLL_QUESTION_INVALID":
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: Telegram refused the poll's question (%s): at most %d characters", e.Type, pollQuestionMax)
	case "POLL_ANSWERS_INVALID":
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: Telegram refused the poll's options (%s): 2 to %d, none twice", e.Type, pollOptionsMax)
	case "POLL_OPTION_DUPLICATE":
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: Telegram refused the poll: an option is there twice (%s)", e.Type)
	case "POLL_ANSWER_INVALID", "POLL_OPTION_INVALID":
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: Telegram refused an option of the poll (%s): at most %d characters each", e.Type, pollOptionMax)
	case "CHAT_SEND_POLL_FORBIDDEN":
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "telegram: this chat does not allow polls (%s)", e.Type)
	}
	return mapped
}

// sentPoll is the message id of Telegram's answer to a send, with its
// poll: its media is the poll as Telegram made it (its ID, the options'
// bytes).
func sentPoll(upd tg.UpdatesClass, id int) (*tg.Message, bool) {
	if u, ok := upd.(*tg.UpdateShortSentMessage); ok {
		if _, isPoll := u.Media.(*tg.MessageMediaPoll); isPoll {
			return &tg.Message{ID: u.ID, Out: true, Date: u.Date, Media: u.Media}, true
		}
		return nil, false
	}
	if m := newMessage(updateList(upd), id); m != nil {
		_, isPoll := m.Media.(*tg.MessageMediaPoll)
		return m, isPoll
	}
	return nil, false
}
