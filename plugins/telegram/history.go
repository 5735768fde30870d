package telegram

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var _ sdk.Backfiller = (*Session)(nil)

// historyPage is the most messages one getHistory returns.
const historyPage = 100

// cursor is where a chat's backfill stands: the oldest message sent so
// far and how many were sent, so a chat's history stops at the
// configured bound (history_limit) across the gateway's requests.
type cursor struct {
	offsetID int
	sent     int
}

func parseCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	a, b, ok := strings.Cut(s, ":")
	id, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || id < 0 || n < 0 {
		return cursor{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: history cursor %q is not this plugin's", s)
	}
	return cursor{id, n}, nil
}

func (c cursor) String() string { return fmt.Sprintf("%d:%d", c.offsetID, c.sent) }

// Backfill sends a chat's history before the cursor, oldest first, in
// one batch, from a goroutine; the last batch says done once the chat has
// no older message or the bound is reached.
func (s *Session) Backfill(ctx context.Context, req sdk.BackfillRequest) error {
	if s.bot != nil {
		return s.bot.Backfill(ctx, req)
	}
	api, _, err := s.client()
	if err != nil {
		return err
	}
	cur, err := parseCursor(req.Cursor)
	if err != nil {
		return err
	}
	forum, topic, err := splitTopic(req.ChatID)
	if err != nil {
		return err
	}
	if topic != 0 {
		if _, err := s.topic(ctx, forum, topic); err != nil {
			return err
		}
	}
	peer, err := s.inputPeer(ctx, api, req.ChatID)
	if err != nil {
		return err
	}
	go s.backfill(api, peer, req, cur, topic)
	return nil
}

// backfill reads one page of a chat's history: a topic's from its thread
// (getReplies); a forum's General from the forum's whole history, the
// other topics' messages left out.
func (s *Session) backfill(api *tg.Client, peer tg.InputPeerClass, req sdk.BackfillRequest, cur cursor, topic int) {
	ctx, cancel := context.WithTimeout(context.Background(), DialTimeout*4)
	defer cancel()
	max := s.n.cfg.HistoryLimit
	limit := min(historyPage, max-cur.sent)
	if req.Limit > 0 {
		limit = min(limit, req.Limit)
	}
	batch := &pb.HistoryBatch{LoginId: s.login.LoginID, ChatId: req.ChatID, ChatType: s.peers.chatType(req.ChatID)}
	if limit <= 0 {
		batch.Cursor, batch.Done = cur.String(), true
		s.sendHistory(ctx, batch)
		return
	}
	var res tg.MessagesMessagesClass
	var err error
	if topic != 0 {
		res, err = api.MessagesGetReplies(ctx, &tg.MessagesGetRepliesRequest{Peer: peer, MsgID: topic, OffsetID: cur.offsetID, Limit: limit})
	} else {
		res, err = api.MessagesGetHistory(ctx, &tg.MessagesGetHistoryRequest{Peer: peer, OffsetID: cur.offsetID, Limit: limit})
	}
	if err != nil {
		s.n.log().Warn("telegram: history", "login", s.login.LoginID, "chat", req.ChatID, "err", err)
		// An empty batch, not done: the gateway asks again later.
		batch.Cursor = cur.String()
		s.sendHistory(ctx, batch)
		return
	}
	ms, ok := res.AsModified()
	if !ok {
		batch.Cursor, batch.Done = cur.String(), true
		s.sendHistory(ctx, batch)
		return
	}
	s.peers.add(ms.GetUsers(), ms.GetChats())
	msgs := ms.GetMessages()
	total := len(msgs)
	if sl, ok := res.(*tg.MessagesMessagesSlice); ok {
		total = sl.Count
	} else if cs, ok := res.(*tg.MessagesChannelMessages); ok {
		total = cs.Count
	}
	slices.Reverse(msgs) // oldest first
	oldest := cur.offsetID
	var ids []int
	var inTopics []topicMsg
	kept := 0
	for _, mc := range msgs {
		if oldest == 0 || mc.GetID() < oldest {
			oldest = mc.GetID()
		}
		if t := messageTopic(mc); t != 0 {
			inTopics = append(inTopics, topicMsg{mc.GetID(), t})
		}
		if s.messageChat(mc, false) != req.ChatID {
			continue // another topic's, in a forum's history
		}
		kept++
		ids = append(ids, mc.GetID())
		batch.Events = append(batch.Events, s.messageEvents(ctx, mc, true)...)
	}
	st := s.db()
	if st == nil {
		// Disconnected meanwhile: the database is closed. Nothing is
		// kept, nothing sent but the cursor as it was: the gateway asks
		// again at the next connection.
		batch.Events = nil
		batch.Cursor = cur.String()
		s.sendHistory(ctx, batch)
		return
	}
	kind, cid, err := parsePeer(baseChat(req.ChatID))
	if err == nil && kind == peerChannel {
		st.setMessageTopics(cid, inTopics)
	}
	if err == nil && kind != peerChannel {
		// A deletion names only the message: its chat must be known.
		if err := st.setMessageChats(ids, req.ChatID); err != nil {
			s.n.log().Warn("telegram: history: message chats not kept", "login", s.login.LoginID, "err", err)
		}
	}
	next := cursor{offsetID: oldest, sent: cur.sent + kept}
	batch.Cursor = next.String()
	batch.Done = len(msgs) < limit || next.sent >= max
	batch.Total = int64(min(total, max))
	s.sendHistory(ctx, batch)
	s.emit(&pb.Event{ChatId: req.ChatID, Payload: &pb.Event_Progress{Progress: &pb.ProgressEvent{
		Task: "history", Unit: "messages", Done: int64(next.sent), Total: batch.Total}}})
}

func (s *Session) sendHistory(ctx context.Context, b *pb.HistoryBatch) {
	if err := s.n.host.SendHistory(ctx, b); err != nil {
		s.n.log().Warn("telegram: history not sent", "login", s.login.LoginID, "chat", b.ChatId, "err", err)
	}
}
