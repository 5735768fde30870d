package telegram

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A chat's history cleared on the phone ("Clear history", "Delete chat",
// for the user or for both sides, by the user or by the other side)
// comes as updateDeleteMessages naming every message, Telegram's apps
// asking a hundred at a time: each a retraction, the user's XMPP client
// would get hundreds of them, each a "message retracted" line in many
// clients. A deletion of more than bulkDeleteMax messages of one chat in
// one update is told instead as one notice in the chat saying how many
// went; the following ones of the same clear (within bulkDeleteMerge)
// correct that notice to the new total rather than add one each (its
// last page too, however short). A few
// messages deleted are retracted, one by one, as before. A supergroup's
// or channel's history cleared for the user alone is no deletion on
// Telegram but a new lower bound of the history
// (updateChannelAvailableMessages): one notice says it.

// bulkDeleteMax is the most deletions of one chat in one update that
// are retracted one by one.
const bulkDeleteMax = 20

// bulkDeleteMerge is how long after a clear's last page (its notice or
// the notice's last correction) a next deletion of the chat is counted
// in it, however short.
const bulkDeleteMerge = time.Minute

// bulkDeletes is the notice of each chat's last clear.
type bulkDeletes struct {
	mu   sync.Mutex
	last map[string]bulkNotice
}

type bulkNotice struct {
	id string // its event ID
	n  int    // the messages it counts
	at time.Time
}

// deletionEvents turns an update's retractions into what the user sees:
// a chat's many retractions into its clear's notice, or the correction
// of the notice of the clear under way. Other events pass as they are.
func (s *Session) deletionEvents(evs []*pb.Event) []*pb.Event {
	count := map[string]int{}
	top := map[string]int{}
	for _, ev := range evs {
		if r := ev.GetRetraction(); r != nil {
			count[ev.ChatId]++
			if id, err := strconv.Atoi(r.TargetId); err == nil {
				top[ev.ChatId] = max(top[ev.ChatId], id)
			}
		}
	}
	var out []*pb.Event
	told := map[string]bool{}
	now := time.Now()
	for _, ev := range evs {
		chat := ev.ChatId
		if ev.GetRetraction() == nil || (count[chat] <= bulkDeleteMax && !s.bulk.clearing(chat, now)) {
			out = append(out, ev)
			continue
		}
		if !told[chat] {
			told[chat] = true
			out = append(out, s.bulkDeleteNotice(chat, count[chat], top[chat], now))
		}
	}
	return out
}

// clearing reports whether a clear of chat is under way: its notice
// told or corrected less than bulkDeleteMerge ago. Its last page may be a few
// messages: they count in it too.
func (b *bulkDeletes) clearing(chat string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	last, ok := b.last[chat]
	return ok && now.Sub(last.at) < bulkDeleteMerge
}

// bulkDeleteNotice is the notice of n messages of chat deleted at once
// (top the newest of them), or the correction of the notice of the clear
// under way there.
func (s *Session) bulkDeleteNotice(chat string, n, top int, now time.Time) *pb.Event {
	b := &s.bulk
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last == nil {
		b.last = map[string]bulkNotice{}
	}
	ev := &pb.Event{ChatId: chat, ChatType: s.peers.chatType(chat), TimestampUnixMicro: now.UnixMicro()}
	if last, ok := b.last[chat]; ok && now.Sub(last.at) < bulkDeleteMerge {
		last.n += n
		last.at = now
		b.last[chat] = last
		ev.EventId = last.id + "-" + strconv.Itoa(last.n)
		ev.Payload = &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: last.id, Text: bulkDeleteText(last.n)}}
		return ev
	}
	id := "cleared-" + strconv.Itoa(top)
	b.last[chat] = bulkNotice{id: id, n: n, at: now}
	ev.EventId = id
	ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: bulkDeleteText(n)}}
	return ev
}

// bulkDeleteText says that n messages were deleted at once.
func bulkDeleteText(n int) string {
	return fmt.Sprintf("%d messages of this chat were deleted on Telegram at once (its history cleared, from another device or by the other side). "+
		"They are not retracted one by one here: your client may still show them.", n)
}

// availableEvents is a supergroup's or channel's history cleared for the
// user (updateChannelAvailableMessages): the messages up to minID are no
// longer theirs to see on Telegram. One notice, named by the bound.
func (s *Session) availableEvents(channel int64, minID int) []*pb.Event {
	if minID <= 0 {
		return nil
	}
	chat := channelID(channel)
	what := "group"
	if c, ok := s.peers.channel(channel); ok && c.Broadcast {
		what = "channel"
	}
	return []*pb.Event{{ChatId: chat, ChatType: s.peers.chatType(chat), TimestampUnixMicro: time.Now().UnixMicro(),
		EventId: "cleared-to-" + strconv.Itoa(minID),
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "This " + what + "'s history was cleared for you on Telegram, from another device: " +
			"the messages before this one are gone there. They are not retracted one by one here: your client may still show them."}}}}
}
