package tgfake

import (
	"slices"

	"github.com/gotd/td/tg"
)

// clearPage is how many messages one of Telegram's updateDeleteMessages
// names when a history is cleared: the apps clear it a hundred at a time
// (messages.deleteHistory answers an offset to go on from).
const clearPage = 100

// ClearHistory is owner clearing their private chat with another user
// (or a basic group's) from their phone, for themselves: every message
// of it goes from their box, told to their devices as
// updateDeleteMessages of at most a hundred messages each.
func (s *Server) ClearHistory(owner int64, peer tg.PeerClass) {
	s.ClearHistoryPages(owner, peer, 0)
}

// ClearHistoryPages is ClearHistory stopped after its first pages
// pages (all of them when pages <= 0), oldest messages first: the rest
// goes with a next call, as the phone's next messages.deleteHistory
// would. It returns how many messages of the chat are left.
func (s *Server) ClearHistoryPages(owner int64, peer tg.PeerClass, pages int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.boxOf(owner)
	want := peerKey(peer)
	var ids []int
	for id, m := range b.msgs {
		if peerKey(m.PeerID) == want {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for n := 0; len(ids) > 0 && (pages <= 0 || n < pages); n++ {
		page := ids[:min(clearPage, len(ids))]
		ids = ids[len(page):]
		s.clearPage(owner, b, page)
	}
	return len(ids)
}

// clearPage deletes one page of a clear from owner's box b.
func (s *Server) clearPage(owner int64, b *box, page []int) {
	for _, id := range page {
		delete(b.msgs, id)
	}
	u := &tg.UpdateDeleteMessages{Messages: page}
	s.record(owner, u)
	s.push(owner, u)
}

// ClearChannelHistory is owner clearing a supergroup's history for
// themselves from their phone: nothing is deleted, their history starts
// after the newest message now (updateChannelAvailableMessages).
func (s *Server) ClearChannelHistory(owner, channel int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	s.push(owner, &tg.UpdateChannelAvailableMessages{ChannelID: channel, AvailableMinID: c.next - 1})
}
