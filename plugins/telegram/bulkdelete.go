package telegram

import (
	"errors"
	"fmt"
	"slices"
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

// bulkDeletes is the notice of each chat's last clear, kept in the
// login's database too: a restart between a clear's pages (its later
// ones then come in the catch-up) corrects the same notice.
type bulkDeletes struct {
	mu   sync.Mutex
	last map[string]bulkNotice
}

// bulkNotice is a clear's notice.
type bulkNotice struct {
	ID string `json:"id"` // its event ID
	N  int    `json:"n"`  // the messages it counts
	At int64  `json:"at"` // its last page's time, Unix microseconds
	// Bound is the newest message the session knew of the chat when
	// the clear began: a clear deletes no message newer than the one
	// on top then, so a deletion of a newer one (sent since) is a
	// deletion of its own, retracted, not a page of the clear.
	Bound int `json:"bound"`
	// Pages are the pages counted ("first-last-count"): a page told
	// again (a catch-up after a restart before its pts was kept) is not
	// counted twice.
	Pages []string `json:"pages,omitempty"`
}

// loadBulkDeletes takes the clears' notices kept in the login's
// database, and the newest message ID outside channels kept there, a
// bound of a clear begun before anything is seen in this run.
func (s *Session) loadBulkDeletes(st *store) {
	notices, err := st.bulkNotices()
	if err == nil {
		s.bulk.mu.Lock()
		s.bulk.last = notices
		s.bulk.mu.Unlock()
	}
	newest, err2 := st.newestMessage()
	if err2 == nil && newest > 0 {
		s.newest.note("", newest)
	}
	if err := errors.Join(err, err2); err != nil {
		s.n.log().Warn("telegram: the clears' notices not read", "login", s.login.LoginID, "err", err)
	}
}

// deletionEvents turns an update's retractions into what the user sees:
// a chat's many retractions into its clear's notice, or the correction
// of the notice of the clear under way. Other events pass as they are.
func (s *Session) deletionEvents(evs []*pb.Event) []*pb.Event {
	count := map[string]int{}
	top := map[string]int{}
	low := map[string]int{}
	for _, ev := range evs {
		if r := ev.GetRetraction(); r != nil {
			count[ev.ChatId]++
			if id, err := strconv.Atoi(r.TargetId); err == nil {
				top[ev.ChatId] = max(top[ev.ChatId], id)
				if low[ev.ChatId] == 0 || id < low[ev.ChatId] {
					low[ev.ChatId] = id
				}
			}
		}
	}
	var out []*pb.Event
	told := map[string]bool{}
	now := time.Now()
	for _, ev := range evs {
		chat := ev.ChatId
		if ev.GetRetraction() == nil || (count[chat] <= bulkDeleteMax && !s.bulk.clearing(chat, top[chat], now)) {
			out = append(out, ev)
			continue
		}
		if !told[chat] {
			told[chat] = true
			page := strconv.Itoa(low[chat]) + "-" + strconv.Itoa(top[chat]) + "-" + strconv.Itoa(count[chat])
			out = append(out, s.bulkDeleteNotice(chat, count[chat], top[chat], page, now))
		}
	}
	return out
}

// clearing reports whether a deletion in chat whose newest message is
// top is a page of the clear under way there: its notice told or
// corrected less than bulkDeleteMerge ago, and top no newer than the
// clear's bound. Its last page may be a few messages: they count in it
// too.
func (b *bulkDeletes) clearing(chat string, top int, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	last, ok := b.last[chat]
	return ok && last.under(top, now)
}

// under reports whether a deletion whose newest message is top, at now,
// is a page of the clear n tells.
func (n bulkNotice) under(top int, now time.Time) bool {
	return now.Sub(time.UnixMicro(n.At)) < bulkDeleteMerge && top <= n.Bound
}

// bulkDeleteNotice is the notice of n messages of chat deleted at once
// (top the newest of them, page their page's name), or the correction
// of the notice of the clear under way there.
func (s *Session) bulkDeleteNotice(chat string, n, top int, page string, now time.Time) *pb.Event {
	st := s.db()
	b := &s.bulk
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last == nil {
		b.last = map[string]bulkNotice{}
	}
	ev := &pb.Event{ChatId: chat, ChatType: s.peers.chatType(chat), TimestampUnixMicro: now.UnixMicro()}
	last, ok := b.last[chat]
	if ok && last.under(top, now) {
		if !slices.Contains(last.Pages, page) {
			last.N += n
			last.Pages = append(last.Pages, page)
		}
		last.At = now.UnixMicro()
		s.keepBulkNotice(st, chat, last)
		ev.EventId = last.ID + "-" + strconv.Itoa(last.N)
		ev.Payload = &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: last.ID, Text: bulkDeleteText(last.N)}}
		return ev
	}
	// Its first page may be the clear's oldest messages (Telegram's
	// apps ask from the top or the bottom): its bound is the chat's
	// newest message known.
	last = bulkNotice{ID: "cleared-" + strconv.Itoa(top), N: n, At: now.UnixMicro(), Bound: max(top, s.newest.of(chat)), Pages: []string{page}}
	s.keepBulkNotice(st, chat, last)
	ev.EventId = last.ID
	ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: bulkDeleteText(n)}}
	return ev
}

// keepBulkNotice keeps chat's clear's notice, in st too; s.bulk.mu is
// held.
func (s *Session) keepBulkNotice(st *store, chat string, n bulkNotice) {
	s.bulk.last[chat] = n
	if st != nil {
		if err := st.putBulkNotice(chat, n); err != nil {
			s.n.log().Warn("telegram: a clear's notice not kept", "login", s.login.LoginID, "chat", chat, "err", err)
		}
	}
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
