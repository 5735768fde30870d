package telegram

import (
	"context"
	"errors"
	"fmt"

	"github.com/gotd/td/telegram/updates"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// The polls the session never saw, and the results it missed: the cache
// (polls.go) knows polls from when they arrive, and a poll's votes and
// closing come without pts, so what happened while the gateway was away
// is not in getDifference. Telegram is asked when a command needs it.

// pollCall is the poll a command names (ClosePoll, Vote): as the session
// knows it, or fetched from Telegram (fetched), with the chat's API once
// asked for (connect).
type pollCall struct {
	md      tg.MessageMediaPoll
	pm      pollMsg
	fetched bool
	api     *tg.Client
	mgr     *updates.Manager
	peer    tg.InputPeerClass
}

// pollFor is the poll of message id (target, as the command named it) in
// chatID: the one the session remembers, else Telegram's (a poll from
// before the login, or forgotten). NOT_FOUND when it is none.
func (s *Session) pollFor(ctx context.Context, chatID string, id int, target string) (*pollCall, error) {
	pc := &pollCall{}
	var ok bool
	if pc.md, pc.pm, ok = s.polls.ofMessage(chatID, id); ok {
		return pc, nil
	}
	pc.fetched = true
	if err := pc.connect(ctx, s, chatID); err != nil {
		return nil, err
	}
	var err error
	if pc.md, pc.pm, ok, err = s.fetchPoll(ctx, pc.api, pc.peer, chatID, id); err != nil {
		return nil, err
	}
	if !ok {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: message %s of this chat is no poll on Telegram", target)
	}
	return pc, nil
}

// connect asks for the chat's API, once.
func (pc *pollCall) connect(ctx context.Context, s *Session, chatID string) (err error) {
	if pc.api == nil {
		pc.api, pc.mgr, pc.peer, err = s.chatPeer(ctx, chatID)
	}
	return err
}

// fetchPoll asks Telegram for message id of chat (messages.getMessages;
// channels.getMessages in a channel or supergroup) and, when it carries
// a poll, remembers it as if it had arrived: a poll from before the
// login, or one forgotten past pollsMax. ok is false when Telegram has
// no such message in chat (message IDs of private chats and basic groups
// are the account's: the message found must be chat's) or it is no
// poll.
func (s *Session) fetchPoll(ctx context.Context, api *tg.Client, peer tg.InputPeerClass, chat string, id int) (md tg.MessageMediaPoll, pm pollMsg, ok bool, err error) {
	ids := []tg.InputMessageClass{&tg.InputMessageID{ID: id}}
	var res tg.MessagesMessagesClass
	if ch, isCh := peer.(*tg.InputPeerChannel); isCh {
		res, err = api.ChannelsGetMessages(ctx, &tg.ChannelsGetMessagesRequest{
			Channel: &tg.InputChannel{ChannelID: ch.ChannelID, AccessHash: ch.AccessHash}, ID: ids})
	} else {
		res, err = api.MessagesGetMessages(ctx, ids)
	}
	switch {
	case tgerr.Is(err, "MESSAGE_IDS_EMPTY", "MSG_ID_INVALID", "MESSAGE_ID_INVALID"):
		return md, pm, false, nil
	case err != nil:
		return md, pm, false, cmdErr("find the poll", err)
	}
	mm, isMod := res.AsModified()
	if !isMod {
		return md, pm, false, nil
	}
	s.peers.add(mm.GetUsers(), mm.GetChats())
	for _, mc := range mm.GetMessages() {
		m, isMsg := mc.(*tg.Message)
		if !isMsg || m.ID != id {
			continue
		}
		if _, isPoll := m.Media.(*tg.MessageMediaPoll); !isPoll {
			return md, pm, false, nil
		}
		mchat := s.messageChat(m, false)
		if baseChat(mchat) != baseChat(chat) {
			return md, pm, false, nil // another chat's message of that ID
		}
		s.rememberPoll(mchat, m, s.sender(m))
		md, pm, ok = s.polls.ofMessage(chat, id)
		return md, pm, ok, nil
	}
	return md, pm, false, nil
}

// errNoResults is an answer to messages.getPollResults without the poll's
// results.
var errNoResults = errors.New("telegram: no results of the poll in Telegram's answer")

// pollResults asks Telegram for the results of the poll pollID, of
// message id in peer (messages.getPollResults): the updateMessagePoll of
// its answer.
func (s *Session) pollResults(ctx context.Context, api *tg.Client, peer tg.InputPeerClass, id int, pollID int64) (*tg.UpdateMessagePoll, error) {
	upd, err := api.MessagesGetPollResults(ctx, &tg.MessagesGetPollResultsRequest{Peer: peer, MsgID: id})
	if err != nil {
		return nil, fmt.Errorf("telegram: a poll's results: %w", err)
	}
	switch u := upd.(type) {
	case *tg.Updates:
		s.peers.add(u.Users, u.Chats)
	case *tg.UpdatesCombined:
		s.peers.add(u.Users, u.Chats)
	}
	for _, x := range updateList(upd) {
		if u, ok := x.(*tg.UpdateMessagePoll); ok && u.PollID == pollID {
			return u, nil
		}
	}
	return nil, errNoResults
}

// closedUnseen corrects the messages of poll pollID, of message id in
// peer, which Telegram says is closed though the session had it open
// (closed while the gateway was away: the closing's update has no pts),
// to the poll closed with its results as Telegram has them now
// (messages.getPollResults: the votes of that time away are not known
// either). Without them, the counts last known stand.
func (s *Session) closedUnseen(ctx context.Context, api *tg.Client, peer tg.InputPeerClass, id int, pollID int64) {
	s.polls.setClosed(pollID)
	var evs []*pb.Event
	u, err := s.pollResults(ctx, api, peer, id, pollID)
	if err != nil {
		s.n.log().Warn("telegram: a poll closed unseen: its results", "login", s.login.LoginID, "poll", pollID, "err", err)
	} else {
		evs = s.pollEvents(ctx, u)
	}
	// Told once: nothing more when the results' update told it.
	s.emitAll(append(evs, s.pollCorrections(s.polls.tell(pollID))...))
}

// emitAll emits evs, in order.
func (s *Session) emitAll(evs []*pb.Event) {
	for _, ev := range evs {
		s.emit(ev)
	}
}

// closingResults fills in the counts of u, an update that closes a poll
// and gives none (the counts the session has may be stale, or none at
// all), from Telegram: messages.getPollResults for a message of the
// poll remembered. A poll not remembered, or Telegram not answering,
// leaves u as is: the counts last known stand.
func (s *Session) closingResults(ctx context.Context, u *tg.UpdateMessagePoll) {
	p, ok := u.GetPoll()
	if !ok || !p.Closed || u.Results.Flags.Has(1) || u.Results.Results != nil {
		return
	}
	pm, ok := s.polls.firstMsg(u.PollID)
	if !ok {
		return
	}
	api, _, err := s.client()
	if err != nil {
		return
	}
	peer, err := s.inputPeer(ctx, api, pm.chat)
	if err == nil {
		var r *tg.UpdateMessagePoll
		if r, err = s.pollResults(ctx, api, peer, pm.id, u.PollID); err == nil {
			u.Results = r.Results
			return
		}
	}
	s.n.log().Warn("telegram: a poll closed without its results: the counts last known stand", "login", s.login.LoginID, "poll", u.PollID, "err", err)
}
