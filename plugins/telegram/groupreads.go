package telegram

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Telegram tells the author of a group's message that it was read
// (updateReadHistoryOutbox naming the group, updateReadChannelOutbox)
// but not by whom. Who read it is Telegram's answer to
// messages.getMessageReadParticipants, which it gives in groups of at
// most 100 members for messages of the last 7 days, leaving out members
// who hide their read times: each of them is a read receipt (XEP-0333
// displayed, from their occupant). Telegram says a message was read when
// it first is: who reads it later is not told. Private chats need no
// asking: the update names the reader (updates.go).

// readersWait bounds the question: the update stream waits for it.
const readersWait = 5 * time.Second

// groupReadEvents are the receipts of those who read chat (a group, a
// supergroup, a forum's topic) up to message maxID, each reader's once;
// none when Telegram does not say (a large group, an old message, a
// channel) or fails.
func (s *Session) groupReadEvents(ctx context.Context, chat string, maxID int) []*pb.Event {
	peer, err := s.peers.inputPeer(baseChat(chat))
	if err != nil {
		return nil
	}
	api, _, err := s.client()
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, readersWait)
	defer cancel()
	readers, err := api.MessagesGetMessageReadParticipants(ctx, &tg.MessagesGetMessageReadParticipantsRequest{Peer: peer, MsgID: maxID})
	if err != nil {
		// CHAT_TOO_BIG, MSG_TOO_OLD: Telegram does not tell, by design.
		// Anything else (FLOOD_WAIT, Telegram failing) loses receipts
		// it would have told: said.
		level := slog.LevelWarn
		if tgerr.Is(err, "CHAT_TOO_BIG", "MSG_TOO_OLD") {
			level = slog.LevelDebug
		}
		s.n.log().Log(ctx, level, "telegram: who read a group's message", "login", s.login.LoginID, "chat", chat, "err", err)
		return nil
	}
	var evs []*pb.Event
	for _, r := range readers {
		if r.UserID == s.self || !s.groupReads.advance(chat, r.UserID, maxID) {
			continue
		}
		ev := receipt(chat, &pb.Sender{UserId: userID(r.UserID), Name: s.peers.name(r.UserID)}, maxID)
		ev.TimestampUnixMicro = int64(r.Date) * 1e6
		evs = append(evs, ev)
	}
	return evs
}

// groupReadCache is how far each reader of each group was said to have
// read, so that the next message's readers are not all said again.
type groupReadCache struct {
	mu sync.Mutex
	m  map[string]map[int64]int // chat -> reader -> message ID
}

// groupReadChats bounds the groups remembered: past it, all are
// forgotten (a reader said again at worst).
const groupReadChats = 1024

// advance records that reader read chat up to msg, reporting whether
// that is news.
func (c *groupReadCache) advance(chat string, reader int64, msg int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= groupReadChats && c.m[chat] == nil {
		c.m = map[string]map[int64]int{}
	}
	if c.m[chat] == nil {
		c.m[chat] = map[int64]int{}
	}
	if c.m[chat][reader] >= msg {
		return false
	}
	c.m[chat][reader] = msg
	return true
}
