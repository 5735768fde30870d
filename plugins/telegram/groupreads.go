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
	group := baseChat(chat)
	if s.groupReads.tooBigNow(group, time.Now()) {
		return nil // said CHAT_TOO_BIG a while ago: not asked again yet
	}
	peer, err := s.peers.inputPeer(group)
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
		if tgerr.Is(err, "CHAT_TOO_BIG") {
			s.groupReads.setTooBig(group, time.Now().Add(tooBigFor))
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
// read, so that the next message's readers are not all said again; and
// the groups Telegram found too big to say who read them (CHAT_TOO_BIG),
// so that each read of a large group does not ask again in vain.
type groupReadCache struct {
	mu     sync.Mutex
	m      map[string]map[int64]int // chat -> reader -> message ID
	tooBig map[string]time.Time     // group -> until when not to ask
}

// tooBigFor is how long a group found too big is not asked about: it
// rarely shrinks under Telegram's threshold (100 members), and when it
// does, its receipts come once this is over.
const tooBigFor = time.Hour

// setTooBig records that group is not to be asked about until until.
func (c *groupReadCache) setTooBig(group string, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tooBig == nil || len(c.tooBig) >= groupReadChats && c.tooBig[group].IsZero() {
		c.tooBig = map[string]time.Time{}
	}
	c.tooBig[group] = until
}

// tooBigNow reports whether group was found too big and is not to be
// asked about at now.
func (c *groupReadCache) tooBigNow(group string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	until, ok := c.tooBig[group]
	if ok && !now.Before(until) {
		delete(c.tooBig, group)
		return false
	}
	return ok
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
