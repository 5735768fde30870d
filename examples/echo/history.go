package echo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// HistoryLength is how many old messages every echo chat has, "history 1
// of 30" (the oldest) to "history 30 of 30", a minute apart, unless the
// login asked for another length (see savedState).
const HistoryLength = 30

// historyBatch is the most messages one HistoryBatch carries.
const historyBatch = 100

var _ sdk.Backfiller = (*Session)(nil)

// Backfill answers at once and sends the chat's history from a goroutine,
// newest batch first, each batch oldest first (sdk.Backfiller). The
// cursor is the number of the oldest message sent so far; SendHistory
// waits whenever the gateway is behind, so this goes at its pace.
func (s *Session) Backfill(_ context.Context, req sdk.BackfillRequest) error {
	if err := s.inChat(sdk.Call{ChatID: req.ChatID}); err != nil {
		return err
	}
	before := s.history + 1
	if req.Cursor != "" {
		n, err := strconv.Atoi(req.Cursor)
		if err != nil || n < 1 || n > s.history+1 {
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "the echo network has no history cursor %q", req.Cursor)
		}
		before = n
	}
	limit := req.Limit
	if limit <= 0 {
		limit = 10
	}
	go s.sendHistory(req.ChatID, before, limit)
	return nil
}

// sendHistory sends the messages before number before, limit at most, in
// batches of up to historyBatch.
func (s *Session) sendHistory(chatID string, before, limit int) {
	// Detached from the call: the history outlives it. A real plugin
	// would stop this with the session.
	ctx := context.Background()
	now := time.Now()
	for limit > 0 && before > 1 {
		n := min(limit, historyBatch, before-1)
		b := &pb.HistoryBatch{LoginId: s.loginID, ChatId: chatID, Total: int64(s.history)}
		sender := chatID
		if chatID == RoomID { // the group's history is Echo One's
			b.ChatType, sender = pb.ChatType_CHAT_TYPE_GROUP, RoomRepeater
		}
		for i := before - n; i < before; i++ {
			id := fmt.Sprintf("history-%s-%d", chatID, i)
			b.Events = append(b.Events, &pb.Event{
				EventId:            id,
				Meta:               metaFor(id),
				ChatType:           b.ChatType,
				Sender:             &pb.Sender{UserId: sender},
				TimestampUnixMicro: now.Add(-time.Duration(s.history-i+1) * time.Minute).UnixMicro(),
				Payload:            &pb.Event_Message{Message: &pb.MessageEvent{Text: fmt.Sprintf("history %d of %d", i, s.history)}},
			})
		}
		before -= n
		limit -= n
		b.Cursor, b.Done = strconv.Itoa(before), before == 1
		if err := s.n.host.SendHistory(ctx, b); err != nil {
			s.n.host.Logger().Warn("history not sent", "chat", chatID, "err", err)
			return
		}
	}
}
