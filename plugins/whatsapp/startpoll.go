package whatsapp

import (
	"context"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// The user starts a poll from XMPP (the gateway's "/poll"): WhatsApp's
// poll creation message, made by whatsmeow with a new message secret,
// which whatsmeow keeps when it sends the message, as it keeps a
// received poll's. The poll is then kept as a received one is
// (polls.go): the contacts' votes, the user's own from the phone and
// from XMPP (vote.go) correct its message, the user's own, with the
// counts.

var _ sdk.PollStarter = (*Session)(nil)

// pollOptionsMax is the most options WhatsApp's apps give a poll. The
// SDK allows as many; this guards a later SDK allowing more.
const pollOptionsMax = 12

// StartPoll sends the user's poll p into the chat. Sent again under the
// same txn (the gateway's resend to a plugin restarted mid-send) it goes
// under the same message ID (sendID), which WhatsApp delivers once, and
// with the secret whatsmeow kept for that ID if it kept one: votes are
// encrypted with the secret of the message delivered, and decrypted with
// the one kept, which whatsmeow never replaces.
func (s *Session) StartPoll(ctx context.Context, c sdk.Call, p *pb.Poll) (sdk.Result, error) {
	chat, err := parseChatID(c.ChatID)
	if err != nil {
		return sdk.Result{}, err
	}
	if err := s.reachable(ctx, chat); err != nil {
		return sdk.Result{}, err
	}
	if len(p.Options) > pollOptionsMax {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST,
			"whatsapp: a poll of %d options: WhatsApp takes at most %d", len(p.Options), pollOptionsMax)
	}
	// WhatsApp's apps offer one answer or any number: 0 is "any".
	selectable := 1
	if p.Multiple {
		selectable = 0
	}
	msg := s.d.cli.BuildPollCreation(p.Question, p.Options, selectable)
	extra := s.sendID(c, 0)
	if extra.ID != "" {
		s.keptSecret(ctx, chat, extra.ID, msg)
	}
	timer := s.timers.get(c.ChatID)
	resp, err := s.d.cli.SendMessage(ctx, chat, withTimer(msg, timer), extra)
	if err != nil {
		return sdk.Result{}, s.sendErr("start a poll", err)
	}
	s.noteSent(c.ChatID, chat, resp)
	info := types.MessageInfo{
		MessageSource: types.MessageSource{Chat: chat, Sender: s.ownJID(), IsFromMe: true, IsGroup: chat.Server == types.GroupServer},
		ID:            resp.ID,
		Timestamp:     resp.Timestamp,
	}
	// Kept before the answer: a vote may come right after the message.
	s.polls.remember(&info, msg.GetPollCreationMessage())
	// The user's message reads as the poll at once, as on the phone,
	// not as the command typed until the first vote.
	if text, ok := s.polls.text(resp.ID); ok {
		s.correctPoll(&info, text, resp.Timestamp)
	}
	return s.sentAs(resp.ID, resp.Timestamp, timer, false, fileOf(msg)), nil // a poll: not corrected (captionedit.go)
}

// keptSecret puts into msg the secret whatsmeow kept for the user's
// message id in chat, if it kept one: the poll was sent before, or
// nearly (whatsmeow keeps the secret before it sends).
func (s *Session) keptSecret(ctx context.Context, chat types.JID, id types.MessageID, msg *waE2E.Message) {
	if s.d.dev == nil || s.d.dev.MsgSecrets == nil {
		return
	}
	secret, _, err := s.d.dev.MsgSecrets.GetMessageSecret(ctx, chat, s.ownJID(), id)
	if err != nil {
		// Sent with its new secret: a resend may then not be counted.
		s.log.Warn("reading a poll's kept secret", "poll", id, "err", err)
		return
	}
	if secret != nil {
		if msg.MessageContextInfo == nil {
			msg.MessageContextInfo = &waE2E.MessageContextInfo{}
		}
		msg.MessageContextInfo.MessageSecret = secret
	}
}
