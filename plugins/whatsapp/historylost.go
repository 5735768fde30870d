package whatsapp

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"passerelle.im/passerelle/plugins/sdk"
)

// History lost, kept until told. A part of the history that cannot be
// had (a sync blob gone from WhatsApp's servers, its kept notice damaged
// on disk, a spool file damaged) is noted in the login's folder
// (history-lost.json) before its file is removed or set aside, and told
// in one notice for all that were noted, at the sync's end or, outside
// a sync, once the files at hand are done; the notes are dropped once
// the gateway confirmed the notice. Before, each file made a notice of
// its own (dozens after pairing), and a damaged notice file was set
// aside before it was told: a plugin killed in between, or a gateway
// that did not take the notice, lost it.

// lostFile keeps the parts noted and not yet told.
const lostFile = "history-lost.json"

// lostPart is a part of the history that could not be had.
type lostPart struct {
	// Why it could not be had, for the notice.
	Why string `json:"why"`
	// Damaged: a file the plugin kept (a spool file) was damaged; its
	// readable part was sent.
	Damaged bool `json:"damaged,omitempty"`
	// More: a chat whose older messages the phone does not give linked
	// devices (historyend.go), NoAccess set; a note without NoAccess (an
	// earlier build noted chats with more the phone gives) is told as
	// not sent.
	More     string `json:"more,omitempty"`
	NoAccess bool   `json:"no_access,omitempty"`
	// Said: what is lost is not known, only that something is (a file
	// counting it was damaged); told in these words.
	Said string `json:"said,omitempty"`
	// Told: the ID of the notice the part was told in, set before the
	// first try: a try not confirmed may have been shown, so the part
	// is told again in that notice alone, which the gateway shows once.
	// Joined with parts noted since, under another ID, it showed again.
	Told string `json:"told,omitempty"`
}

// Notes of what is lost, not knowing what: a kept count or note damaged.
const (
	unreadDamagedText = "Messages of your WhatsApp history that could not be read are not shown here; how many is not known (the gateway's count of them was damaged on disk). WhatsApp on your phone has them."
	lostDamagedText   = "Parts of your WhatsApp history could not be had and are not shown here; which is not known (the gateway's note of them was damaged on disk). WhatsApp on your phone has them."
)

// lostParts is the login's parts noted, by key (a notice's message ID,
// or "spool-" and a spool file's name): the same part noted again (a
// notice delivered twice, a file read again after a crash) is one.
type lostParts struct {
	path string // "" = kept in memory only (no login folder)
	log  *slog.Logger

	// telling: one tellLost at a time, so that one does not join a
	// part another is telling (confirmed, not yet dropped) to new ones.
	telling sync.Mutex

	mu    sync.Mutex
	parts map[string]lostPart
	// damaged: the damaged file's content, still at path and not yet
	// copied aside (the copy failed); nothing replaces it until the
	// copy is made (saveLocked).
	damaged []byte
	aside   string // where the copy was set aside, for the log
}

func newLostParts(loginDir string, log *slog.Logger) *lostParts {
	if log == nil {
		log = slog.Default()
	}
	l := &lostParts{log: log, parts: map[string]lostPart{}}
	if loginDir == "" {
		return l
	}
	l.path = filepath.Join(loginDir, lostFile)
	b, err := os.ReadFile(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return l
	}
	var m map[string]lostPart
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err == nil && m != nil {
		l.parts = m
		return l
	}
	if err == nil {
		err = errors.New("the file holds null")
	}
	// Damaged: what it noted is not known, but that something was lost
	// is. Said in its place, on disk before the damaged file is
	// replaced, a copy of it kept for a look: a crash between finds it
	// damaged again, and notes the same. A copy not made leaves the
	// damaged file as it is: each write tries the copy again first.
	sum := sha256.Sum256(b)
	l.parts["damaged-"+hex.EncodeToString(sum[:8])] = lostPart{Said: lostDamagedText}
	l.damaged = b
	err = errors.Join(err, l.saveLocked())
	if l.damaged != nil {
		log.Warn("a state file is damaged, and no copy could be set aside: its content not used, the file kept until one is",
			"file", l.path, "cost", "the parts of history lost that it noted are told without saying which", "err", err)
		return l
	}
	log.Warn("a state file is damaged; a copy set aside, its content not used", "file", l.path, "set_aside_as", l.aside,
		"cost", "the parts of history lost that it noted are told without saying which", "err", err)
	return l
}

// copyAside writes b, a damaged file's content, under the name SetAside
// would give path (sdk.AsideName), durably; the file at path is left as
// it is.
func copyAside(path string, b []byte) (string, error) {
	to, err := sdk.AsideName(path)
	if err != nil {
		return "", err
	}
	if err := sdk.WriteFileDurably(to, b); err != nil {
		return "", fmt.Errorf("set aside %s: %w", path, err)
	}
	return to, nil
}

// note keeps part under key, on disk before it returns.
func (l *lostParts) note(key string, part lostPart) error {
	return l.noteAll(map[string]lostPart{key: part})
}

// noteAll keeps parts by key, written once, on disk before it returns.
func (l *lostParts) noteAll(parts map[string]lostPart) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var added []string
	for k, p := range parts {
		if _, ok := l.parts[k]; !ok {
			l.parts[k] = p
			added = append(added, k)
		}
	}
	if len(added) == 0 {
		return nil
	}
	if err := l.saveLocked(); err != nil {
		for _, k := range added {
			delete(l.parts, k)
		}
		return err
	}
	return nil
}

// pending is a copy of the parts noted.
func (l *lostParts) pending() map[string]lostPart {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]lostPart, len(l.parts))
	for k, p := range l.parts {
		out[k] = p
	}
	return out
}

// told drops keys, once told; a failure to write leaves them on disk, to
// be told again (under the same notice ID, shown once).
func (l *lostParts) told(keys []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		delete(l.parts, k)
	}
	if err := l.saveLocked(); err != nil {
		l.log.Warn("the parts of history lost, told, not dropped from the login's folder; told again at the next start (shown once)", "err", err)
	}
}

// mark notes keys as told in the notice id before it is first tried; a
// failure to write is logged: the mark holds in memory, for this
// process's tries.
func (l *lostParts) mark(keys []string, id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if p, ok := l.parts[k]; ok {
			p.Told = id
			l.parts[k] = p
		}
	}
	if err := l.saveLocked(); err != nil {
		l.log.Warn("the notice that parts of history lost are told in not kept; after a restart they may be told again in another", "notice", id, "err", err)
	}
}

func (l *lostParts) saveLocked() error {
	if l.path == "" {
		return nil
	}
	if l.damaged != nil {
		to, err := copyAside(l.path, l.damaged)
		if err != nil {
			return fmt.Errorf("the damaged %s kept, not replaced: no copy of it set aside: %w", lostFile, err)
		}
		l.damaged, l.aside = nil, to
	}
	if len(l.parts) == 0 {
		if err := os.Remove(l.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	b, err := json.Marshal(l.parts)
	if err != nil {
		return err
	}
	return writeState(l.path, b)
}

// historyPartLost notes a part of the history that cannot be had, to
// tell later (tellLost); when it cannot be noted, it is told at once.
// The caller removes or sets aside the part's file only on nil: told or
// noted, it is not lost with the file.
func (s *Session) historyPartLost(key string, part lostPart) error {
	if err := s.lost.note(key, part); err != nil {
		s.log.Warn("a part of history lost not noted; told at once", "key", key, "err", err)
		return s.tellErr(lostNotice(map[string]lostPart{key: part}))
	}
	return nil
}

// tellLost tells the parts noted, and drops them once the gateway
// confirmed their notice. The parts not yet told go in one notice; those
// tried before (not confirmed: maybe shown) go again in theirs, under
// its ID, which the gateway shows once.
func (s *Session) tellLost() {
	s.lost.telling.Lock()
	defer s.lost.telling.Unlock()
	parts := s.lost.pending()
	if len(parts) == 0 {
		return
	}
	fresh := map[string]lostPart{}
	for k, p := range parts {
		if p.Told == "" {
			fresh[k] = p
		}
	}
	if len(fresh) > 0 {
		id, _ := lostNotice(fresh)
		s.lost.mark(slices.Collect(maps.Keys(fresh)), id)
		for k, p := range fresh {
			p.Told = id
			parts[k] = p
		}
	}
	groups := map[string]map[string]lostPart{}
	for k, p := range parts {
		if groups[p.Told] == nil {
			groups[p.Told] = map[string]lostPart{}
		}
		groups[p.Told][k] = p
	}
	for _, id := range slices.Sorted(maps.Keys(groups)) {
		_, text := lostNotice(groups[id])
		if err := s.tellErr(id, text); err != nil {
			s.log.Warn("the notice of history lost not confirmed; told again later", "err", err)
			continue
		}
		s.lost.told(slices.Collect(maps.Keys(groups[id])))
	}
}

// lostNotice is the notice of parts: its ID, which names them (one
// part's as it was told alone: "history-lost-" and the notice's message
// ID, or "history-damaged-" and the spool file's name; several, a hash
// of their keys), and its text.
func lostNotice(parts map[string]lostPart) (id, text string) {
	keys := slices.Sorted(maps.Keys(parts))
	var whys, notes []string
	damaged, said, more, noAccess := 0, 0, 0, 0
	for _, k := range keys {
		p := parts[k]
		if p.More != "" {
			if p.NoAccess {
				noAccess++
			} else {
				more++
			}
			continue
		}
		if p.Said != "" {
			said++
			if !slices.Contains(notes, p.Said) {
				notes = append(notes, p.Said)
			}
			continue
		}
		if p.Damaged {
			damaged++
			continue
		}
		if !slices.Contains(whys, p.Why) && len(whys) < 3 {
			whys = append(whys, p.Why)
		}
	}
	if len(keys) == 1 {
		k := keys[0]
		if p := parts[k]; p.More != "" {
			if p.NoAccess {
				return "history-more-" + p.More, fmt.Sprintf("Older messages of %s remain on your phone: WhatsApp does not give them to linked devices, so they are not shown here.", p.More)
			}
			return "history-more-" + p.More, fmt.Sprintf("Older messages of %s remain on your phone: WhatsApp did not send them here.", p.More)
		}
		if parts[k].Said != "" {
			return "history-lost-" + k, parts[k].Said
		}
		if parts[k].Damaged {
			return "history-damaged-" + strings.TrimPrefix(k, spoolKeyPrefix),
				"Part of your WhatsApp history that the gateway kept was damaged on disk and is not shown here (what could be read of it is); WhatsApp on your phone has it."
		}
		return "history-lost-" + k, fmt.Sprintf(
			"Part of your WhatsApp history could not be downloaded (%s): its messages are not shown here; WhatsApp on your phone has them.", parts[k].Why)
	}
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
	}
	id = "history-lost-" + hex.EncodeToString(h.Sum(nil)[:12])
	var sentences []string
	if n := len(keys) - damaged - said - more - noAccess; n == 1 {
		sentences = append(sentences, fmt.Sprintf("1 part of your WhatsApp history could not be downloaded (%s)", strings.Join(whys, "; ")))
	} else if n > 1 {
		sentences = append(sentences, fmt.Sprintf("%d parts of your WhatsApp history could not be downloaded (%s)", n, strings.Join(whys, "; ")))
	}
	if damaged == 1 {
		sentences = append(sentences, "1 part that the gateway kept was damaged on disk (what could be read of it is shown)")
	} else if damaged > 1 {
		sentences = append(sentences, fmt.Sprintf("%d parts that the gateway kept were damaged on disk (what could be read of them is shown)", damaged))
	}
	if more > 0 {
		notes = append(notes, fmt.Sprintf("Older messages of %s remain on your phone: WhatsApp did not send them here.", chatCount(more)))
	}
	if noAccess > 0 {
		notes = append(notes, fmt.Sprintf("Older messages of %s remain on your phone: WhatsApp does not give them to linked devices, so they are not shown here.", chatCount(noAccess)))
	}
	if len(sentences) > 0 {
		notes = append([]string{strings.Join(sentences, "; ") + ": their messages are not shown here; WhatsApp on your phone has them."}, notes...)
	}
	return id, strings.Join(notes, " ")
}

// spoolKeyPrefix names a damaged spool file's part.
const spoolKeyPrefix = "spool-"
