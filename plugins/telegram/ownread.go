package telegram

import (
	"slices"
	"sync"

	"passerelle.im/passerelle/plugins/telegram/recent"
)

// The user's own reads from another device (a chat read on the phone:
// updateReadHistoryInbox, updateReadChannelInbox) name the newest message
// read, which Telegram's apps take as the chat's last, service messages
// included. Many service messages are no message on XMPP (a member's
// join or leave is a presence, a theme change nothing): a read up to one
// named an ID the gateway never archived, and the user's clients stayed
// unread. The receipt names the newest message shown at or before it.

// shownPerChat and shownChats bound what is kept: a chat's newest
// messages, and the chats, the one first noted longest ago forgotten
// first (recent.Map.Put), busy or not: its reads then name Telegram's ID
// until it is noted again.
const (
	shownPerChat = 64
	shownChats   = 4096
)

// shownIDs keeps, per chat, the IDs of the newest messages the gateway
// has as messages (received, sent, or a notice's line), oldest first.
type shownIDs struct {
	mu  sync.Mutex
	ids recent.Map[string, []int]
}

// note records message id of chat as one the gateway has.
func (s *shownIDs) note(chat string, id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids, _ := s.ids.Get(chat)
	i, found := slices.BinarySearch(ids, id)
	if found {
		return
	}
	ids = slices.Insert(slices.Clone(ids), i, id)
	if len(ids) > shownPerChat {
		ids = ids[len(ids)-shownPerChat:]
	}
	s.ids.Put(chat, ids, shownChats)
}

// upTo is the message a read up to maxID in chat stands for: maxID when
// the gateway has it, or knows nothing of the chat before it; else the
// newest message it has before maxID.
func (s *shownIDs) upTo(chat string, maxID int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids, _ := s.ids.Get(chat)
	i, found := slices.BinarySearch(ids, maxID)
	if found || i == 0 {
		return maxID
	}
	return ids[i-1]
}
