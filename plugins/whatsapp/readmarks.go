package whatsapp

import (
	"slices"
	"sync"

	"go.mau.fi/whatsmeow/types"
)

// The messages of others not yet marked read, per chat: XMPP clients
// mark the last message displayed, and WhatsApp's read receipt goes to
// each message's sender, so marking a group read up to one message
// reads the earlier ones of every sender (as mautrix-whatsapp does), not
// only the last one's. Kept in the login's folder (readmarkstore.go), so
// that a restart of the plugin does not lose them; past the bounds, only
// the message marked is read.

const (
	// unreadPerChat bounds the messages kept per chat (the newest).
	unreadPerChat = 256
	// unreadChats bounds the chats kept (the latest written in).
	unreadChats = 128
)

type unreadMsg struct {
	id     types.MessageID
	sender types.JID // the sender as the message named them (a LID stays one)
	// list is the sender's broadcast list the message came to (shown in
	// the chat with them): its receipts go to the list, naming the
	// sender, as whatsmeow's delivery receipt of it does.
	list types.JID
	// server is a channel's post's server ID (its number in the
	// channel): the user's view of it is counted by it (channels.go).
	server types.MessageServerID
}

type unreadMarks struct {
	mu    sync.Mutex
	chats map[string][]unreadMsg
	order []string      // chats, least recently written in first
	j     unreadJournal // readmarkstore.go; its zero value keeps nothing
}

// note keeps a message of someone else's in chatID.
func (u *unreadMarks) note(chatID string, id types.MessageID, sender types.JID) {
	u.noteMsg(chatID, unreadMsg{id: id, sender: sender})
}

// noteMsg keeps m, a message of someone else's, in chatID.
func (u *unreadMarks) noteMsg(chatID string, m unreadMsg) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.noteLocked(chatID, m)
	u.j.write(u, lineOf(chatID, m))
}

func (u *unreadMarks) noteLocked(chatID string, m unreadMsg) {
	if u.chats == nil {
		u.chats = map[string][]unreadMsg{}
	}
	msgs := append(u.chats[chatID], m)
	if len(msgs) > unreadPerChat {
		msgs = slices.Delete(msgs, 0, len(msgs)-unreadPerChat)
	}
	u.chats[chatID] = msgs
	if i := slices.Index(u.order, chatID); i >= 0 {
		u.order = slices.Delete(u.order, i, i+1)
	}
	u.order = append(u.order, chatID)
	if len(u.order) > unreadChats {
		delete(u.chats, u.order[0])
		u.order = u.order[1:]
	}
}

// listSender is the sender of message id, kept as one of theirs to
// broadcast list list; false when it is not kept (read already, or
// forgotten past the bounds).
func (u *unreadMarks) listSender(list types.JID, id types.MessageID) (types.JID, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, msgs := range u.chats {
		for _, m := range msgs {
			if m.id == id && m.list == list {
				return m.sender, true
			}
		}
	}
	return types.EmptyJID, false
}

// upTo takes the messages of chatID up to id (included), in their
// order; nil when id is not kept.
func (u *unreadMarks) upTo(chatID string, id types.MessageID) []unreadMsg {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := u.upToLocked(chatID, id)
	if out != nil {
		u.j.write(u, unreadLine{Chat: chatID, ID: id, Read: true})
	}
	return out
}

func (u *unreadMarks) upToLocked(chatID string, id types.MessageID) []unreadMsg {
	msgs := u.chats[chatID]
	i := slices.IndexFunc(msgs, func(m unreadMsg) bool { return m.id == id })
	if i < 0 {
		return nil
	}
	out := slices.Clone(msgs[:i+1])
	u.chats[chatID] = slices.Delete(msgs, 0, i+1)
	return out
}

// putBack returns msgs, taken by upTo for receipts that failed, before
// the messages of chatID kept since, so that the same mark again reads
// them (a receipt that went is sent again: a message read twice is read).
// A chat no longer kept stays forgotten.
func (u *unreadMarks) putBack(chatID string, msgs []unreadMsg) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.putBackLocked(chatID, msgs) {
		back := make([]unreadRec, len(msgs))
		for i, m := range msgs {
			back[i] = unreadRec{ID: m.id, Sender: m.sender.String(), List: jidString(m.list), Server: int(m.server)}
		}
		u.j.write(u, unreadLine{Chat: chatID, Back: back})
	}
}

// putBackLocked is putBack; false when the chat is no longer kept.
func (u *unreadMarks) putBackLocked(chatID string, msgs []unreadMsg) bool {
	rest, ok := u.chats[chatID]
	if !ok {
		return false
	}
	kept := append(slices.Clone(msgs), rest...)
	if len(kept) > unreadPerChat {
		kept = slices.Delete(kept, 0, len(kept)-unreadPerChat)
	}
	u.chats[chatID] = kept
	return true
}

// readKey is what one read receipt names: the chat (a contact's
// broadcast list for a message of theirs to one, else the chat marked),
// and the sender in a group or a list (none in a one-to-one chat, whose
// receipt names no participant).
type readKey struct {
	list, sender types.JID
}

// bySender is msgs' IDs by receipt, in the order of each one's first
// message: by sender in a group; in a one-to-one chat, all under one,
// but for the messages the contact sent to a broadcast list, by list.
func bySender(msgs []unreadMsg, group bool) ([]readKey, map[readKey][]types.MessageID) {
	var keys []readKey
	ids := map[readKey][]types.MessageID{}
	for _, m := range msgs {
		k := readKey{sender: m.sender}
		switch {
		case !m.list.IsEmpty():
			k.list = m.list
		case !group:
			k.sender = types.EmptyJID
		}
		if _, ok := ids[k]; !ok {
			keys = append(keys, k)
		}
		ids[k] = append(ids[k], m.id)
	}
	return keys, ids
}
