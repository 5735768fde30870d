package whatsapp

import (
	"context"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A poll in a history sync comes with the votes cast until then
// (WebMessageInfo.PollUpdates, decrypted by the phone) and its message
// secret. The poll is kept with those votes, as a live poll is with
// its own (polls.go), so that its message shows their counts and a
// later vote, decrypted with the secret, counts with them.
//
// whatsmeow stores a history message's secret from
// WebMessageInfo.MessageSecret alone, and from a goroutine of its own
// that may not have run when a vote comes: the secret is stored here
// too, from there or from the poll's MessageContextInfo, before the
// handler returns (the same secret twice is kept once).

// historyPoll keeps a poll shown from history, with its votes so far,
// and gives its message the counts.
func (s *Session) historyPoll(evt *events.Message, web *waWeb.WebMessageInfo, p *waE2E.PollCreationMessage, m *pb.MessageEvent) {
	log := s.log.With("poll", evt.Info.ID, "chat", evt.Info.Chat)
	s.keepSecret(evt, web)
	var votes []knownVote
	for _, pu := range web.GetPollUpdates() {
		voter, alias, ok := s.historyVoter(evt.Info.Chat, pu.GetPollUpdateMessageKey())
		if !ok {
			log.Debug("a vote in a poll from history names no voter; not counted")
			continue
		}
		at := pu.GetSenderTimestampMS()
		if at == 0 {
			at = pu.GetServerTimestampMS()
		}
		votes = append(votes, knownVote{voter: voter, alias: alias, at: at, chosen: pu.GetVote().GetSelectedOptions()})
	}
	text, full := s.polls.rememberVoted(&evt.Info, p, votes)
	if full > 0 {
		log.Debug("voters past the bound in a poll from history; not counted", "voters", full)
	}
	if text != m.Text {
		m.Text, m.Spans = text, nil
		s.conv.withContext(m, p.GetContextInfo()) // mentions found in the new text
	}
}

// keepSecret stores a history message's secret in whatsmeow's store,
// where DecryptPollVote looks for it.
func (s *Session) keepSecret(evt *events.Message, web *waWeb.WebMessageInfo) {
	secret := web.GetMessageSecret()
	if len(secret) == 0 {
		secret = web.GetMessage().GetMessageContextInfo().GetMessageSecret()
	}
	if len(secret) == 0 {
		secret = evt.Message.GetMessageContextInfo().GetMessageSecret()
	}
	if len(secret) == 0 || s.d.dev == nil {
		s.log.Debug("a poll from history without its secret; later votes cannot be read", "poll", evt.Info.ID)
		return
	}
	if err := s.d.dev.MsgSecrets.PutMessageSecret(context.Background(), evt.Info.Chat, evt.Info.Sender, evt.Info.ID, secret); err != nil {
		s.log.Warn("a poll's secret not stored; its later votes may not be read", "poll", evt.Info.ID, "err", err)
	}
}

// historyVoter is the voter of a vote a history sync gives, from the
// vote's message key: the user for their own, else the key's
// participant in a group, the chat in a chat of two; with the LID ID
// they may have voted under too (identities.voterIDs).
func (s *Session) historyVoter(chat types.JID, k *waCommon.MessageKey) (voter, alias string, ok bool) {
	if k.GetFromMe() {
		return s.conv.self, "", true
	}
	who := chat
	if p := k.GetParticipant(); p != "" {
		j, err := types.ParseJID(p)
		if err != nil {
			return "", "", false
		}
		who = j
	} else if chat.Server != types.DefaultUserServer && chat.Server != types.HiddenUserServer {
		return "", "", false
	}
	if who.User == "" {
		return "", "", false
	}
	voter, alias = s.ids.voterIDs(who.ToNonAD())
	return voter, alias, true
}
