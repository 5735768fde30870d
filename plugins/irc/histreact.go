package irc

import (
	"cmp"
	"slices"

	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A Backfill's reactions are read once all its pages are. Its pages
// come newest first, while a reaction set is made oldest first (a
// person's ❤ after their 👍 is [👍 ❤]), and of the user's TAGMSGs sent
// without an echo that do the same, the newest is the one standing.
// Read page by page, each page with sets of its own, the events and
// which TAGMSG stood depended on where the server's page size cut the
// history. So a page's reaction TAGMSGs are held, and the page that
// ends the Backfill (the last asked, or one after which the next could
// not be asked) reads them all, oldest first, into the request's sets:
// their events go in its batch. A request that ends otherwise (the
// server refused the next page, the connection dropped) sends what it
// held in a batch of its own, at the cursor already sent, rather than
// lose it: the gateway asks again only from that cursor on, older.

// backfillFill is what one Backfill's pages share (guarded by the
// session's mu): its reaction sets, and the reaction TAGMSGs held,
// oldest first, with their msgids (pages overlap).
type backfillFill struct {
	sets reactSets
	held []ircmsg.Message
	seen map[string]bool
}

// holdReactionsLocked keeps a page's reaction TAGMSGs (oldest first)
// for r's last page: before those of the newer pages read already,
// each msgid once.
func (s *Session) holdReactionsLocked(r *histReq, page []ircmsg.Message) {
	f := r.fill
	if f.seen == nil {
		f.seen = map[string]bool{}
	}
	kept := page[:0]
	for _, m := range page {
		_, id := m.GetTag("msgid")
		if id == "" {
			continue // told from no live copy: never shown (historyReaction)
		}
		if !f.seen[id] {
			f.seen[id] = true
			kept = append(kept, m)
		}
	}
	f.held = append(kept, f.held...)
}

// readHeldReactions reads the reactions r's pages held, oldest first,
// into batch (the last page's, or one of their own), its events then
// put in time order.
func (s *Session) readHeldReactions(r *histReq, batch *pb.HistoryBatch) {
	s.mu.Lock()
	held := r.fill.held
	r.fill.held = nil
	s.mu.Unlock()
	if len(held) == 0 {
		return
	}
	for _, m := range held {
		if ev := s.historyReaction(m, r, &r.fill.sets); ev != nil {
			ev.ChatId, ev.ChatType = r.chatID, r.typ
			batch.Events = append(batch.Events, ev)
		}
	}
	s.flushOwn() // the user's reactions the pages had (ownstore.go)
	slices.SortStableFunc(batch.Events, func(a, b *pb.Event) int {
		return cmp.Compare(a.TimestampUnixMicro, b.TimestampUnixMicro)
	})
}

// sendHeldReactions sends the reactions of r, a Backfill's page that
// will not be answered, in a batch at the cursor of its newer page.
func (s *Session) sendHeldReactions(r *histReq) {
	if r == nil || !r.backfill || r.fill == nil || r.before.IsZero() {
		return
	}
	batch := &pb.HistoryBatch{LoginId: s.loginID, ChatId: r.chatID, ChatType: r.typ, Cursor: histTime(r.before)}
	s.readHeldReactions(r, batch)
	if len(batch.Events) > 0 {
		s.sendHistory(batch)
	}
}
