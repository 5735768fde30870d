package telegram

import (
	"cmp"
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/gotd/td/telegram/updates"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Requests to join a group or channel the user administers (its link,
// or its public join, set to want an admin's approval). Telegram tells
// its admins updatePendingJoinRequests (how many, the latest few) at
// each request, approval or refusal, from any device, and the full
// chat's requests_pending at each connection; the requesters are listed
// by messages.getChatInviteImporters (requested). The room says each
// request once, naming who asks, and how to answer it, as the Signal
// transport does (plugins/signal/joinrequests.go), so the gesture is the
// same on every network: an XMPP invitation to the room approves
// (Invite), a kick of the requester's address refuses (Kick); both are
// messages.hideChatJoinRequest. A request answered on the phone is no
// longer pending: it is forgotten, so that nothing answers it from here
// and a new request of the same person is told again; so are those of a
// group whose room ends (forgetRemoved).

// joinRequestsMax bounds the requesters read of one chat (newest
// first), joinRequestsPage at a time (Telegram's most is 100 a page).
const (
	joinRequestsMax  = 500
	joinRequestsPage = 100
)

// joinRequestWait bounds the requesters' read a connection's ChatInfo
// starts, in the background.
const joinRequestWait = 30 * time.Second

// requester is one pending request: who, and when (Unix seconds).
type requester struct {
	id   int64
	date int
}

// pendingJoinEvents answers updatePendingJoinRequests: the requests of
// its chat as now pending, those not told yet told.
func (s *Session) pendingJoinEvents(ctx context.Context, u *tg.UpdatePendingJoinRequests) []*pb.Event {
	chat := peerChatID(u.Peer)
	if u.RequestsPending == 0 {
		// All answered: none to tell or answer; a read still under way
		// says less than this (askOrder).
		s.askOrder.apply(chat, s.askOrder.ticket(), func() { s.askRead(chat, nil) })
		return nil
	}
	s.tellJoinRequests(ctx, chat)
	return nil
}

// pendingAtInfo follows the pending count a chat's full description
// gave (requests_pending: the admins' to see), at each connection's
// ChatInfo: requests made, approved or refused while the gateway was
// away (updatePendingJoinRequests has no pts: no catch-up brings it).
// The requesters are read in the background, ChatInfo's answer not
// waiting for them.
func (s *Session) pendingAtInfo(chat string, pending int) {
	if pending == 0 {
		s.askOrder.apply(chat, s.askOrder.ticket(), func() { s.askRead(chat, nil) })
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), joinRequestWait)
		defer cancel()
		s.tellJoinRequests(ctx, chat)
	}()
}

// tellJoinRequests reads who asks to join chat now and tells in its room
// each request not told before. A request is noted told once the host
// confirmed its notice (joinrequests_telling.go); one the host did not
// keep stays untold, so the next update or connection tells it.
func (s *Session) tellJoinRequests(ctx context.Context, chat string) {
	api, _, err := s.client()
	if err != nil {
		return
	}
	turn := s.askOrder.ticket()
	asking, err := s.joinRequesters(ctx, api, chat)
	if err != nil {
		s.n.log().Warn("telegram: the requests to join a group not read; they are told at the next change or connection", "login", s.login.LoginID, "chat", chat, "err", err)
		return
	}
	ids := make(map[string]bool, len(asking))
	for _, r := range asking {
		ids[userID(r.id)] = true
	}
	var fresh []string
	if !s.askOrder.apply(chat, turn, func() { fresh = s.askRead(chat, ids) }) {
		return // a newer read was applied: this one is out of date
	}
	var evs []*pb.Event
	for _, r := range slices.Backward(asking) { // oldest first, as they came
		if slices.Contains(fresh, userID(r.id)) {
			evs = append(evs, s.joinRequestNotice(chat, r))
		}
	}
	err = s.emitEvents(ctx, evs)
	s.askTold(chat, fresh, err == nil) // joinrequests_telling.go
	if err != nil {
		s.n.log().Warn("telegram: requests to join not kept; told again later", "login", s.login.LoginID, "chat", chat, "err", err)
	}
}

// joinRequesters are those asking to join chat now, newest first.
func (s *Session) joinRequesters(ctx context.Context, api *tg.Client, chat string) ([]requester, error) {
	peer, err := s.inputPeer(ctx, api, chat)
	if err != nil {
		return nil, err
	}
	var out []requester
	req := &tg.MessagesGetChatInviteImportersRequest{Requested: true, Peer: peer, OffsetUser: &tg.InputUserEmpty{}, Limit: joinRequestsPage}
	for len(out) < joinRequestsMax {
		res, err := api.MessagesGetChatInviteImporters(ctx, req)
		if err != nil {
			return nil, err
		}
		s.peers.add(res.Users, nil)
		for _, imp := range res.Importers {
			out = append(out, requester{id: imp.UserID, date: imp.Date})
		}
		if len(res.Importers) < joinRequestsPage || len(out) >= res.Count {
			break
		}
		last := res.Importers[len(res.Importers)-1]
		in, err := s.peers.inputUser(last.UserID)
		if err != nil {
			break
		}
		req.OffsetDate, req.OffsetUser = last.Date, in
	}
	return out, nil
}

// joinRequestNotice is the room's notice of r's request to join chat:
// from no one, the requester's name a mention of them (their address,
// to invite or ban), its ID the request's own, so a second telling is
// the same message.
func (s *Session) joinRequestNotice(chat string, r requester) *pb.Event {
	who := cmp.Or(s.peers.name(r.id), "Someone")
	what := "group"
	if c, ok := s.peers.channel(mustChannel(chat)); ok && c.Broadcast {
		what = "channel"
	}
	text := who + " asks to join this " + what + ". An admin lets them in by inviting them to this room, " +
		"or refuses by banning their address; or on the phone."
	at := int64(r.date) * 1_000_000
	if at == 0 {
		at = time.Now().UnixMicro()
	}
	return &pb.Event{ChatId: chat, ChatType: s.peers.chatType(chat), TimestampUnixMicro: at,
		EventId: "join-request-" + strconv.Itoa(r.date) + "-" + userID(r.id),
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text,
			Spans: []*pb.Span{{Start: 0, End: uint32(len(who)), Style: pb.Span_STYLE_MENTION, UserId: userID(r.id)}}}}}
}

// mustChannel is a supergroup's or channel's ID in chat, 0 for another.
func mustChannel(chat string) int64 {
	if kind, id, err := parsePeer(chat); err == nil && kind == peerChannel {
		return id
	}
	return 0
}

// answerJoinRequest approves (Invite) or refuses (Kick) user's request
// to join chat when one is pending as last told (or its notice on its
// way); done says it was one.
// A request Telegram no longer has (answered on the phone meanwhile) is
// forgotten and not done: the command goes on as for anyone else.
func (s *Session) answerJoinRequest(ctx context.Context, api *tg.Client, mgr *updates.Manager, chat string, user *tg.InputUser, approve bool) (done bool, err error) {
	chat = baseChat(chat)
	id := userID(user.UserID)
	if !s.asked(chat, id) { // joinrequests_telling.go
		return false, nil
	}
	peer, err := s.inputPeer(ctx, api, chat)
	if err != nil {
		return true, err
	}
	upd, err := api.MessagesHideChatJoinRequest(ctx, &tg.MessagesHideChatJoinRequestRequest{Approved: approve, Peer: peer, UserID: user})
	if tgerr.Is(err, "HIDE_REQUESTER_MISSING") {
		s.askOrder.apply(chat, s.askOrder.ticket(), func() { s.askAnswered(chat, id) })
		return false, nil
	}
	if err != nil {
		what := "refuse " + s.userName(user.UserID) + "'s request to join"
		if approve {
			what = "approve " + s.userName(user.UserID) + "'s request to join"
		}
		return true, cmdErr(what, err)
	}
	// Newer than any read under way, which may still list the request.
	s.askOrder.apply(chat, s.askOrder.ticket(), func() { s.askAnswered(chat, id) })
	_ = mgr.Handle(ctx, upd) // the newcomer's join, the count left
	return true, nil
}

// joinRequestsFile keeps the requests to join told, by chat ID.
const joinRequestsFile = "join-requests-told.json"

// loadJoinRequests reads the user IDs whose request to join was told
// (and is pending as last read), by chat ID, kept in dir ("" in memory
// only).
func loadJoinRequests(dir string, log *slog.Logger) *sdk.ToldSets {
	path := ""
	if dir != "" {
		path = filepath.Join(dir, joinRequestsFile)
	}
	return sdk.LoadToldSets(path, "telegram: the requests to join told", "the requests to join pending are told again", log)
}

// forgetRemoved forgets the requests told of each group whose room evs
// end (a topic's end is not its group's).
func (s *Session) forgetRemoved(evs []*pb.Event) {
	for _, ev := range evs {
		if ev.GetChatRemoved() != nil && baseChat(ev.ChatId) == ev.ChatId {
			s.askGone(ev.ChatId)
		}
	}
}
