package irc

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// What history needs to tell the user's own lines and reactions, kept
// on disk per login (the plugin's data folder), so that a backfill after
// a restart (or a crash) of the plugin recognises them as it does
// before: the msgids of the user's reactions that came echoed (the
// gateway has no ID for a reaction), the reactions and lines sent where
// the server echoes none (the plugin never learns their msgids: history's
// copy is told by what it does), and the msgids history's copies of
// those turned out to have. Before, all of it was in memory only: after
// a restart, a backfill brought the user's reactions back as reactions
// from another client of theirs, and (without echo-message) every line
// of theirs as a second copy of the message the gateway had under an ID
// of the plugin's. Not in the saved state: it changes with each line
// without echo-message, and the saved state goes to the gateway whole
// at each change. Where the server deletes messages, the user's
// reactions by their TAGMSG's msgid too (redact.go): a REDACT of one
// after a restart takes it back, not a message the gateway never had.

// ownKept bounds each list kept: past it, the oldest is forgotten (a
// backfill deeper than that may bring one back, as before).
const ownKept = 512

// ownLineWindow is how far from a line's send time (by the server's
// clock where its PONGs tell it: serverclock.go) its copy in history may
// be: an older line of the same words, from another client of the
// user's, is not taken for it.
const ownLineWindow = 5 * time.Minute

// ownRecord is the file's content.
type ownRecord struct {
	// Msgids are the msgids of the user's lines and reactions that the
	// gateway has under another ID or none: history leaves them out.
	Msgids []string `json:"msgids,omitempty"`
	// Reactions are the keys (echoKey) of reaction TAGMSGs sent without
	// an echo, oldest first: history's copy of one is told by what it
	// does (react or unreact, the emoji, the message).
	Reactions []string `json:"reactions,omitempty"`
	// Lines are the lines sent without an echo, oldest first.
	Lines []ownLine `json:"lines,omitempty"`
	// Reacts are the user's reactions known by their TAGMSG's msgid
	// (echoed, or from another client of theirs), oldest first, where
	// the server deletes messages: after a restart a REDACT of one
	// takes it back, and React takes one back with a REDACT of it.
	Reacts []ownReact `json:"reacts,omitempty"`
	// Withdrawn are the user's reactions known by their TAGMSG's msgid
	// and taken back already (+draft/unreact, a REDACT, or a later
	// TAGMSG of the same emoji stands for it), oldest first, where the
	// server deletes messages: after a restart a REDACT of one is no
	// retraction (redact.go).
	Withdrawn []ownWithdrawn `json:"withdrawn,omitempty"`
}

// ownWithdrawn is one of the user's reactions taken back, by its
// TAGMSG's msgid, and its chat.
type ownWithdrawn struct {
	ID   string `json:"id"`
	Chat string `json:"chat"`
}

// ownReact is one of the user's reactions kept by its TAGMSG's msgid.
type ownReact struct {
	ID     string `json:"id"` // the TAGMSG's msgid
	To     string `json:"to"` // the msgid of the message reacted to
	Emoji  string `json:"e"`
	Chat   string `json:"chat"`
	Direct bool   `json:"direct,omitempty"`
	Nick   string `json:"nick,omitempty"` // the user's, then
}

// ownLine is a line the user sent where the server echoes none: its
// digest (lineDigest), when it went, by the server's clock as far as
// the plugin knows it (serverNow), and the nick it went under (folded;
// "" in a record of before: the user's nick of the moment).
type ownLine struct {
	Digest string    `json:"d"`
	Sent   time.Time `json:"t"`
	Nick   string    `json:"n,omitempty"`
}

// ownStore is a login's ownRecord and its file ("" in tests without a
// data folder: memory only). The session's mu guards it; the file is
// written without mu held (flushOwn), writes one at a time (wmu, taken
// before mu, never with mu held).
type ownStore struct {
	ownRecord
	path  string
	dirty bool // changed since written: flushOwn writes it
	wmu   sync.Mutex
}

// ownFile is the file of login's record in dir: the login ID has
// slashes and colons, so it is named by a digest of it.
func ownFile(dir, login string) string {
	if dir == "" {
		return ""
	}
	h := sha256.Sum256([]byte(login))
	return filepath.Join(dir, "own-"+hex.EncodeToString(h[:8])+".json")
}

// loadOwn reads the record of the session's login. A damaged file is
// set aside: only what it held comes back from history once more.
func (s *Session) loadOwn() {
	s.own.path = ownFile(s.n.dataDir, s.loginID)
	if s.own.path == "" {
		return
	}
	if r, ok := sdk.LoadStateFile[ownRecord](s.own.path, "the user's own lines and reactions may come back once from history", s.n.host.Logger()); ok {
		s.own.ownRecord = r
	}
	// Those taken back: a REDACT of one is no retraction. Before, they
	// were in memory only, and after a restart such a REDACT came as
	// the retraction of a message the gateway never had.
	for _, w := range s.own.Withdrawn {
		s.noteWithdrawnLocked(w.ID, w.Chat, false)
	}
	// The reactions by msgid, and the user's sets they make: the set
	// React goes on from, and the one a REDACT of one takes it out of.
	// (A clone: one standing for an older one moves that one out of
	// Reacts, to Withdrawn.)
	for _, r := range slices.Clone(s.own.Reacts) {
		typ := pb.ChatType_CHAT_TYPE_GROUP
		if r.Direct {
			typ = pb.ChatType_CHAT_TYPE_DIRECT
		}
		k := reactKey{msgid: r.To, who: s.loginID}
		s.noteReactionIDLocked(r.ID, reactRef{k: k, emoji: r.Emoji, chat: r.Chat, typ: typ,
			sender: &pb.Sender{UserId: s.loginID, Name: r.Nick, IsFromMe: true}})
		if set := s.reactions.get(k); !slices.Contains(set, r.Emoji) && len(set) < reactSetMax {
			s.reactions.set(k, append(slices.Clone(set), r.Emoji))
		}
	}
}

// flushOwn writes the record where it changed, on disk before it
// returns (a line sent and then the plugin killed is still known), and
// without the session's lock held: the write is synced, and a slow disk
// would otherwise hold every callback of the connection and every call
// of the login behind it. The changes are made under mu (dirty), then
// written by their caller once it let go of mu; a batch's takes once
// its batch is read, not once a line. A record that could not be
// written stays dirty, tried again at the next change's write.
func (s *Session) flushOwn() {
	s.own.wmu.Lock()
	defer s.own.wmu.Unlock()
	s.mu.Lock()
	if !s.own.dirty || s.own.path == "" {
		s.mu.Unlock()
		return
	}
	path := s.own.path
	rec := ownRecord{Msgids: slices.Clone(s.own.Msgids), Reactions: slices.Clone(s.own.Reactions), Lines: slices.Clone(s.own.Lines),
		Reacts: slices.Clone(s.own.Reacts), Withdrawn: slices.Clone(s.own.Withdrawn)}
	s.own.dirty = false
	s.mu.Unlock()
	if err := sdk.SaveStateFile(path, rec); err != nil {
		s.mu.Lock()
		s.own.dirty = true
		s.mu.Unlock()
		s.n.host.Logger().Warn("irc: the user's own lines not kept on disk; history after a restart may bring them again", "login", s.loginID, "err", err)
	}
}

// removeOwn deletes the record: the login is gone. No later write
// makes it again: the connection's end comes after Logout, and sends
// the reactions its cut Backfill held (histreact.go), which may note
// the user's own; before, that flush wrote the file again.
func (s *Session) removeOwn() {
	s.own.wmu.Lock() // after a write under way, not before it
	defer s.own.wmu.Unlock()
	s.mu.Lock()
	s.own.ownRecord, s.own.dirty = ownRecord{}, false
	path := s.own.path
	s.own.path = ""
	s.mu.Unlock()
	if path != "" {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			s.n.host.Logger().Warn("irc: the user's own lines file not removed", "login", s.loginID, "err", err)
		}
	}
}

// keepBounded appends v to list, dropping the oldest past ownKept.
func keepBounded[T any](list []T, v T) []T {
	if n := len(list) + 1 - ownKept; n > 0 {
		list = slices.Delete(list, 0, n)
	}
	return append(list, v)
}

// keepOwnMsgidLocked keeps id, a msgid of the user's the gateway has
// under no ID of it, to be written (flushOwn), and reports whether it
// is new.
func (s *Session) keepOwnMsgidLocked(id string) bool {
	if id == "" || slices.Contains(s.own.Msgids, id) {
		return false
	}
	s.own.Msgids = keepBounded(s.own.Msgids, id)
	s.own.dirty = true
	return true
}

// keepOwnReactLocked keeps the user's reaction ref, added by the TAGMSG
// of msgid id, to be written (flushOwn), where the server deletes
// messages (else none takes it back by its msgid).
func (s *Session) keepOwnReactLocked(id string, ref reactRef) {
	if id == "" || !s.canRedactLocked() || slices.ContainsFunc(s.own.Reacts, func(r ownReact) bool { return r.ID == id }) {
		return
	}
	s.own.Reacts = keepBounded(s.own.Reacts, ownReact{ID: id, To: ref.k.msgid, Emoji: ref.emoji, Chat: ref.chat,
		Direct: ref.typ == pb.ChatType_CHAT_TYPE_DIRECT, Nick: ref.sender.GetName()})
	s.own.dirty = true
}

// ownSetChangedLocked moves the kept reactions of the user's set k
// that it has no more (taken back) to those withdrawn, to be written
// (flushOwn).
func (s *Session) ownSetChangedLocked(k reactKey) {
	if k.who != s.loginID {
		return
	}
	set := s.reactions.get(k)
	for _, r := range slices.Clone(s.own.Reacts) {
		if r.To == k.msgid && !slices.Contains(set, r.Emoji) {
			s.noteWithdrawnLocked(r.ID, r.Chat, true)
		}
	}
}

// keepOwnWithdrawnLocked moves the user's reaction of TAGMSG id, in
// chat, from those kept standing (Reacts) to those taken back, to be
// written (flushOwn), where the server deletes messages or it was kept
// standing (then it did).
func (s *Session) keepOwnWithdrawnLocked(id, chat string) {
	n := len(s.own.Reacts)
	s.own.Reacts = slices.DeleteFunc(s.own.Reacts, func(r ownReact) bool { return r.ID == id })
	kept := len(s.own.Reacts) != n
	s.own.dirty = s.own.dirty || kept
	if id == "" || !kept && !s.canRedactLocked() {
		return
	}
	s.own.Withdrawn = slices.DeleteFunc(s.own.Withdrawn, func(w ownWithdrawn) bool { return w.ID == id })
	s.own.Withdrawn = keepBounded(s.own.Withdrawn, ownWithdrawn{ID: id, Chat: chat})
	s.own.dirty = true
}

// forgetOwnWithdrawnLocked forgets id from the user's reactions taken
// back, to be written (flushOwn): it stands again (its REDACT could
// not go).
func (s *Session) forgetOwnWithdrawnLocked(id string) {
	n := len(s.own.Withdrawn)
	s.own.Withdrawn = slices.DeleteFunc(s.own.Withdrawn, func(w ownWithdrawn) bool { return w.ID == id })
	s.own.dirty = s.own.dirty || len(s.own.Withdrawn) != n
}

// ownMsgidLocked reports whether id is one of keepOwnMsgidLocked's.
func (s *Session) ownMsgidLocked(id string) bool { return slices.Contains(s.own.Msgids, id) }

// noteUnechoedReactionLocked keeps the key of a reaction TAGMSG about
// to be sent, to be written (flushOwn), where the server keeps history
// (else none brings it back: nothing is written at each reaction on
// ngircd): until its echo comes (takeTagEcho), where one comes.
func (s *Session) noteUnechoedReactionLocked(key string) {
	if !s.hasHistoryLocked() {
		return
	}
	s.own.Reactions = keepBounded(s.own.Reactions, key)
	s.own.dirty = true
}

// forgetUnechoedReaction forgets the newest reaction kept with key
// (noteUnechoedReactionLocked): it was not sent. The record is written
// at once: left on disk until some later write, a plugin killed before
// then read it back and took history's copy of the same reaction made
// later, from another client, for this one, hiding it.
func (s *Session) forgetUnechoedReaction(key string) {
	s.mu.Lock()
	for i := len(s.own.Reactions) - 1; i >= 0; i-- {
		if s.own.Reactions[i] == key {
			s.own.Reactions = slices.Delete(s.own.Reactions, i, i+1)
			s.own.dirty = true
			break
		}
	}
	s.mu.Unlock()
	s.flushOwn()
}

// takeUnechoedReactionLocked takes the oldest reaction sent with key,
// history's copy of it, whose msgid is id: it is kept (history leaves
// it out from then on), written with its batch (flushOwn). It reports
// whether there was one.
func (s *Session) takeUnechoedReactionLocked(key, id string) bool {
	return takeOwnLocked(s, &s.own.Reactions, slices.Index(s.own.Reactions, key), id)
}

// lineDigest is what tells a line of the user's to target from
// another: the folded target, whether it is an action, and its text
// without formatting (which a channel's mode may strip), as a digest
// (the file keeps no words of the user's).
func (s *Session) lineDigest(target string, action bool, text string) string {
	a := "0"
	if action {
		a = "1"
	}
	h := sha256.Sum256([]byte(s.fold(target) + "\x00" + a + "\x00" + plainText(text)))
	return hex.EncodeToString(h[:12])
}

// noteUnechoedLines keeps the lines of a send that went without an
// echo (digests from lineDigest), sent at (the server's time), and
// writes them, where the server keeps history (else none brings them
// back: nothing is written at each message on ngircd).
func (s *Session) noteUnechoedLines(digests []string, at time.Time) {
	s.mu.Lock()
	if len(digests) == 0 || !s.hasHistoryLocked() {
		s.mu.Unlock()
		return
	}
	nick := s.fold(s.self)
	for _, d := range digests {
		s.own.Lines = keepBounded(s.own.Lines, ownLine{Digest: d, Sent: at, Nick: nick})
	}
	s.own.dirty = true
	s.mu.Unlock()
	s.flushOwn()
}

// takeUnechoedLineLocked takes the oldest line sent with digest under
// nick within ownLineWindow of at, history's copy of it, whose msgid is
// id: it is kept, written with its batch (flushOwn). It reports whether
// there was one. By the nick it went under, not the user's of the
// moment: a reconnection that found the nick taken (the old
// connection's ghost) rejoins under another, and its catch-up has the
// line under the old one. Before, that line came as a member's of the
// old nick, a second copy of the user's.
func (s *Session) takeUnechoedLineLocked(digest, nick string, at time.Time, id string) bool {
	i := slices.IndexFunc(s.own.Lines, func(l ownLine) bool {
		d := at.Sub(l.Sent)
		by := l.Nick == s.fold(nick) || (l.Nick == "" && s.isSelfLocked(nick))
		return l.Digest == digest && by && d < ownLineWindow && d > -ownLineWindow
	})
	return takeOwnLocked(s, &s.own.Lines, i, id)
}

// takeOwnLocked takes the i-th of list (a reaction or line sent
// without an echo), history's copy of which has msgid id, keeping id;
// i < 0 (none) takes nothing. It reports whether there was one.
func takeOwnLocked[T any](s *Session, list *[]T, i int, id string) bool {
	if i < 0 {
		return false
	}
	*list = slices.Delete(*list, i, i+1)
	s.own.dirty = true
	s.keepOwnMsgidLocked(id)
	return true
}
