package botmode

import (
	"context"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var _ sdk.Backfiller = (*Session)(nil)

// Backfill answers that the chat has no history: the Bot API gives a bot
// none. The one empty batch, marked done, keeps the gateway from asking
// for the chat again (and from waiting for a batch that never comes).
func (s *Session) Backfill(_ context.Context, req sdk.BackfillRequest) error {
	b := &pb.HistoryBatch{LoginId: s.cfg.LoginID, ChatId: req.ChatID, Cursor: req.Cursor, Done: true}
	if id, err := parseChatID(req.ChatID); err == nil {
		if c, ok := s.chats.get(id); ok {
			b.ChatType = c.chatType()
		}
	}
	go func() {
		// The window of unacknowledged batches may be full: wait for
		// room, not for ever.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.cfg.Host.SendHistory(ctx, b); err != nil {
			s.log.Warn("telegram bot: the empty history batch was not sent", "chat", req.ChatID, "err", err)
		}
	}()
	return nil
}
