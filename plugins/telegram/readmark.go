package telegram

import (
	"strconv"
	"strings"
	"sync"

	"github.com/gotd/td/tg"
)

// Read markers on notices that are no Telegram message: a private call
// ringing ("call-ID") and an unpin ("unpinPTS.ID") have event IDs of
// their own, which Telegram cannot mark read up to. Each carries, as its
// meta, the newest message ID the session knew in its chat when it came
// ("read:ID"); a read marker up to the notice marks the chat read up to
// that message (what the user saw before the notice).

// newestSeen is the newest message ID the session has seen, per channel
// and, for the other chats, for the account: outside channels Telegram
// numbers the account's messages in one sequence, so the account's
// newest is a bound of every such chat's.
type newestSeen struct {
	mu  sync.Mutex
	ids map[string]int // a channel's chat ID, or "" for the account
}

// newestKey is the key of chat (a topic's: its forum's) in newestSeen.
func newestKey(chat string) string {
	kind, _, err := parsePeer(baseChat(chat))
	if err != nil || kind != peerChannel {
		return ""
	}
	return baseChat(chat)
}

// note records message id of chat.
func (n *newestSeen) note(chat string, id int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ids == nil {
		n.ids = map[string]int{}
	}
	k := newestKey(chat)
	n.ids[k] = max(n.ids[k], id)
}

// of is the newest message ID seen in chat; 0 for none.
func (n *newestSeen) of(chat string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ids[newestKey(chat)]
}

// channels are the newest message IDs seen per channel, by channel ID.
func (n *newestSeen) channels() map[int64]int {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := map[int64]int{}
	for k, id := range n.ids {
		if kind, cid, err := parsePeer(k); err == nil && kind == peerChannel {
			out[cid] = id
		}
	}
	return out
}

// noteMessage records a message's ID for its chat.
func (s *Session) noteMessage(mc tg.MessageClass) {
	if p, ok := mc.(interface{ GetPeerID() tg.PeerClass }); ok {
		s.newest.note(peerChatID(p.GetPeerID()), mc.GetID())
	}
}

// readMeta is the meta of a notice of chat that is no message.
func (s *Session) readMeta(chat string) []byte {
	return []byte("read:" + strconv.Itoa(s.newest.of(chat)))
}

// noticeReadID is the message a read marker up to a notice that is no
// message (upTo, with its meta) stands for: the message its meta names,
// else the newest seen in the chat now, else an unpin's message; 0 when
// none is known (nothing to mark).
func (s *Session) noticeReadID(chat, upTo string, meta []byte) int {
	if v, ok := strings.CutPrefix(string(meta), "read:"); ok {
		if id, err := strconv.Atoi(v); err == nil && id >= 0 {
			return id
		}
	}
	if id := s.newest.of(chat); id > 0 {
		return id
	}
	if rest, ok := strings.CutPrefix(upTo, "unpin"); ok {
		if _, msg, ok := strings.Cut(rest, "."); ok {
			if id, err := strconv.Atoi(msg); err == nil && id > 0 {
				return id
			}
		}
	}
	return 0
}

// isNoticeID reports whether id is the event ID of a notice that is no
// Telegram message.
func isNoticeID(id string) bool {
	return strings.HasPrefix(id, "call-") || strings.HasPrefix(id, "unpin")
}
