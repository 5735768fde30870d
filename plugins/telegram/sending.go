package telegram

import (
	"context"
	"sync"
	"time"

	"github.com/gotd/td/tgerr"

	"passerelle.im/passerelle/plugins/sdk"
)

// A message the gateway sent is not shown again as sent from another app
// when the plugin dies mid-send. Telegram took the message, the plugin
// died before the SDK journaled the answer, and the gateway resends the
// command to the restarted plugin; the resend's random_id (send.go) gets
// the message made, not a second one. But the restarted plugin's
// catch-up (getDifference) may bring the user's own message before the
// resend comes, and a message from the user that the running plugin did
// not send reads as one the user sent from another app.
//
// So each send under a txn is noted in the login's database before
// Telegram is asked (chat and random_id), and the message's ID once
// Telegram answered. After a restart, an answered note's message is the
// gateway's own (its update may come again when the crash came before
// its pts was saved). While a note has no answer, a message from the
// user in its chat is held (the updates manager waits, so it saves no
// pts past it and a crash loses nothing), until the resend answers (the
// message is dropped when the answer names it, released when it names
// another: one the user sent elsewhere meanwhile), Telegram's catch-up
// names the message of that random_id (updateMessageID), or HoldFor
// passes: then it is released as before.

// HoldFor bounds how long after a restart's catch-up begins the user's
// messages in a chat with a send from before the restart, not answered,
// wait for the gateway's resend to say whether they are its own.
var HoldFor = 30 * time.Second

// sendHold is the notes from before the restart without an answer.
type sendHold struct {
	mu      sync.Mutex
	pending map[int64]string // random_id -> the command's chat
	until   time.Time        // the hold's end; zero: not begun
	changed chan struct{}    // closed and replaced at each change
	timer   *time.Timer
	// forget drops the notes of sends still unanswered when the hold
	// ends: their resend did not come in time, and a later restart is
	// not to hold for them again.
	forget func(rids []int64)
}

// reset makes pending the notes held for, the hold not begun; forget
// drops notes (end).
func (h *sendHold) reset(pending map[int64]string, forget func(rids []int64)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.timer != nil {
		h.timer.Stop()
		h.timer = nil
	}
	h.pending, h.until, h.forget = pending, time.Time{}, forget
	h.changedLocked()
}

func (h *sendHold) changedLocked() {
	if h.changed != nil {
		close(h.changed)
	}
	h.changed = make(chan struct{})
}

// begin starts the hold's time, once (the updates manager started).
func (h *sendHold) begin() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.beginLocked()
}

func (h *sendHold) beginLocked() {
	if len(h.pending) == 0 || !h.until.IsZero() {
		return
	}
	h.until = time.Now().Add(HoldFor)
	h.timer = time.AfterFunc(HoldFor, h.end)
}

// end releases every held message: the hold's time is over. The notes
// of the sends still unanswered go first: the hold is once per send, not
// once per restart for as long as no resend answers it.
func (h *sendHold) end() {
	h.mu.Lock()
	var rids []int64
	for rid := range h.pending {
		rids = append(rids, rid)
	}
	forget := h.forget
	h.mu.Unlock()
	if forget != nil && len(rids) > 0 {
		forget(rids)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pending = nil
	h.changedLocked()
}

// resolve takes rid out of the hold; its chat and whether it was held.
func (h *sendHold) resolve(rid int64) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	chat, ok := h.pending[rid]
	if ok {
		delete(h.pending, rid)
		h.changedLocked()
	}
	return chat, ok
}

// waits reports whether a message from the user in chat (a base chat)
// waits, and the channel closed at the hold's next change.
func (h *sendHold) waits(chat string) (<-chan struct{}, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.pending {
		if baseChat(c) == chat {
			h.beginLocked()
			return h.changed, time.Now().Before(h.until)
		}
	}
	return nil, false
}

// loadSendNotes reads the notes at Connect: answered ones name the
// gateway's own messages, the others are held for.
func (s *Session) loadSendNotes(st *store) {
	notes, err := st.sendNotes()
	if err != nil {
		s.n.log().Warn("telegram: the sends in flight are not readable (a resent one may show twice)", "login", s.login.LoginID, "err", err)
	}
	pending := map[int64]string{}
	for rid, n := range notes {
		if n.ID != 0 {
			s.sent.add(n.Chat, n.ID)
			continue
		}
		pending[rid] = n.Chat
	}
	if len(pending) > 0 {
		s.n.log().Info("telegram: sends without an answer before the restart; the user's messages in their chats wait for the resends", "login", s.login.LoginID, "sends", len(pending), "at_most", HoldFor)
	}
	loaded := time.Now().Unix()
	s.hold.reset(pending, func(rids []int64) {
		if err := st.forgetUnanswered(rids, loaded); err != nil {
			s.n.log().Warn("telegram: sends not answered in time not forgotten (the next restart holds for them again)", "login", s.login.LoginID, "err", err)
		}
	})
}

// db is the login's database, nil when not connected.
func (s *Session) db() *store {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

// noteSend notes a send before Telegram is asked: in this run's sends
// in flight (its message's update may come before the answer), and for
// a send under a txn in the login's database. A send without a txn has
// a random random_id that no resend repeats.
func (s *Session) noteSend(c sdk.Call, rid int64) {
	s.live.start(rid, c.ChatID)
	if c.TxnID == "" {
		return
	}
	if st := s.db(); st != nil {
		if err := st.putSendNote(rid, sendNote{Chat: c.ChatID, At: time.Now().Unix()}); err != nil {
			s.n.log().Warn("telegram: a send not noted (if the plugin dies before its answer, it may show twice)", "login", s.login.LoginID, "err", err)
		}
	}
}

// sendFailed forgets the note of a send Telegram refused; one that failed
// otherwise (no answer: it may have been taken) keeps its note.
func (s *Session) sendFailed(c sdk.Call, rid int64, err error) {
	s.live.done(rid)
	if _, refused := tgerr.As(err); !refused || c.TxnID == "" {
		return
	}
	if st := s.db(); st != nil {
		_ = st.deleteSendNotes(rid)
	}
}

// sendAnswered notes the message a send made (already in s.sent), and
// releases what waited for it.
func (s *Session) sendAnswered(c sdk.Call, rid int64, id int) {
	defer s.live.done(rid)
	if c.TxnID == "" {
		return
	}
	s.answerNote(c.ChatID, rid, id)
}

func (s *Session) answerNote(chat string, rid int64, id int) {
	if st := s.db(); st != nil {
		if err := st.putSendNote(rid, sendNote{Chat: chat, ID: id, At: time.Now().Unix()}); err != nil {
			s.n.log().Warn("telegram: a send's answer not noted", "login", s.login.LoginID, "err", err)
		}
	}
	s.hold.resolve(rid)
}

// messageIDOf is Telegram naming the message a send made (updateMessageID),
// as its catch-up does for the sends of this device: a held send is
// answered.
func (s *Session) messageIDOf(rid int64, id int) {
	if chat, ok := s.live.name(rid); ok {
		// A send of this run, before its answer: the message is ours
		// (and its answer adds it no more).
		s.sent.add(chat, id)
	}
	s.hold.mu.Lock()
	chat, ok := s.hold.pending[rid]
	s.hold.mu.Unlock()
	if !ok {
		return
	}
	s.sent.add(chat, id)
	s.answerNote(chat, rid, id)
}

// ownSend reports whether message id of chat, from the user, is one the
// gateway sent: known as such, or so answered while it is held (a send
// from before a restart) or while a send of this run to the chat waits
// for its answer: the update of a message may come before the answer to
// its send (another path: the update stream, a getDifference after a gap
// or a reconnection), and the answer names it. A send in flight is
// waited for at most HoldFor, once: the next messages do not wait for it.
func (s *Session) ownSend(ctx context.Context, chat string, id int) bool {
	base := baseChat(chat)
	var deadline <-chan time.Time
	for {
		// The state first: an answer that comes between is seen by
		// take or by changed.
		changed, wait := s.hold.waits(base)
		liveChanged, liveWait := s.live.waits(base)
		if s.sent.take(chat, id) {
			return true
		}
		if !wait && !liveWait {
			return false
		}
		if liveWait && deadline == nil {
			t := time.NewTimer(HoldFor)
			defer t.Stop()
			deadline = t.C
		}
		if !wait {
			changed = nil
		}
		if !liveWait {
			liveChanged = nil
		}
		select {
		case <-changed:
		case <-liveChanged:
		case <-deadline:
			// The answer is late (a lost connection, a slow
			// Telegram): the user's next messages in the chat do not
			// wait for these sends again, each holding the updates.
			s.live.giveUp(base)
			return s.sent.take(chat, id)
		case <-ctx.Done():
			return false
		}
	}
}

// liveSends are this run's sends waiting for Telegram's answer.
type liveSends struct {
	mu      sync.Mutex
	pending map[int64]string // random_id -> the command's chat
	named   map[int64]bool   // random_ids whose message updateMessageID named
	late    map[int64]bool   // random_ids a wait ran out for (giveUp)
	changed chan struct{}    // closed and replaced at each answer
}

func (l *liveSends) start(rid int64, chat string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending == nil {
		l.pending = map[int64]string{}
	}
	l.pending[rid] = chat
}

// done takes rid out, its send answered or failed.
func (l *liveSends) done(rid int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.pending[rid]; !ok {
		return
	}
	delete(l.pending, rid)
	delete(l.named, rid)
	delete(l.late, rid)
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
}

// name marks rid's message named before its answer, and returns its
// chat; false when rid is no send in flight or was named already.
func (l *liveSends) name(rid int64) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	chat, ok := l.pending[rid]
	if !ok || l.named[rid] {
		return "", false
	}
	if l.named == nil {
		l.named = map[int64]bool{}
	}
	l.named[rid] = true
	return chat, true
}

// wasNamed reports whether rid's message was named before its answer.
func (l *liveSends) wasNamed(rid int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.named[rid]
}

// giveUp marks the sends to chat (a base chat) in flight as late: no
// message waits for them any more (waits).
func (l *liveSends) giveUp(chat string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for rid, c := range l.pending {
		if baseChat(c) == chat {
			if l.late == nil {
				l.late = map[int64]bool{}
			}
			l.late[rid] = true
		}
	}
}

// waits reports whether a send to chat (a base chat) is in flight, not
// late, and the channel closed at the next answer.
func (l *liveSends) waits(chat string) (<-chan struct{}, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for rid, c := range l.pending {
		if baseChat(c) == chat && !l.late[rid] {
			if l.changed == nil {
				l.changed = make(chan struct{})
			}
			return l.changed, true
		}
	}
	return nil, false
}
