package sdk

import (
	"log/slog"
	"slices"
	"sync"
)

// ToldSets are, by chat ID, the IDs of things a plugin told the user of
// once and must not tell again while they last (requests to join a
// group, pending as last read), kept in a state file (LoadStateFile) so
// that a restart tells none again. Safe for concurrent use.
type ToldSets struct {
	mu   sync.Mutex
	path string // "": in memory only
	what string // what is kept, for the log: "the requests to join told"
	st   map[string][]string
	log  *slog.Logger
	// onWay and last are Fresh's, in memory: by chat, the IDs being told
	// (not confirmed yet) and those current at the last read.
	onWay, last map[string]map[string]bool
}

// LoadToldSets reads the sets kept at path ("" keeps them in memory
// only); a damaged file is set aside and the sets start empty, so each
// is told again (cost says so in the log). what names them in the log.
func LoadToldSets(path, what, cost string, log *slog.Logger) *ToldSets {
	if log == nil {
		log = slog.Default()
	}
	r := &ToldSets{path: path, what: what, st: map[string][]string{}, log: log}
	if path == "" {
		return r
	}
	if st, ok := LoadStateFile[map[string][]string](path, cost, log); ok && st != nil {
		r.st = st
	}
	return r
}

// Update notes that current are those of chatID now, and returns those
// of them not told before, sorted: the caller tells them. Those told
// before and no longer current (answered) are forgotten. Those returned
// are noted told at once, on disk: a plugin killed before its event of
// one is in the journal never tells it. Fresh and Confirm note one told
// only once its event is safe.
func (r *ToldSets) Update(chatID string, current map[string]bool) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.st[chatID]
	var fresh, now []string
	for id := range current {
		now = append(now, id)
		if !slices.Contains(old, id) {
			fresh = append(fresh, id)
		}
	}
	slices.Sort(fresh)
	slices.Sort(now)
	if !slices.Equal(now, old) {
		r.set(chatID, now)
	}
	return fresh
}

// Told reports whether id of chatID was told and not answered since.
func (r *ToldSets) Told(chatID, id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Contains(r.st[chatID], id)
}

// Untold forgets id of chatID: answered, or its notice not kept (the
// next read tells it).
func (r *ToldSets) Untold(chatID, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if slices.Contains(r.st[chatID], id) {
		r.set(chatID, slices.DeleteFunc(slices.Clone(r.st[chatID]), func(x string) bool { return x == id }))
	}
}

// Forget drops the set of chatID, a chat the user is out of: kept, it
// would stay for good, and what is still pending when the user is back
// would not be told.
func (r *ToldSets) Forget(chatID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.last, chatID)
	if _, ok := r.st[chatID]; ok {
		r.set(chatID, nil)
	}
}

// KeepOnly drops the sets of the chats not in chatIDs (those the user is
// in, read at a connection): a chat left while the plugin was away.
func (r *ToldSets) KeepOnly(chatIDs map[string]bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id := range r.st {
		if !chatIDs[id] {
			r.set(id, nil)
		}
	}
	for id := range r.last {
		if !chatIDs[id] {
			delete(r.last, id)
		}
	}
}

// set keeps ids as those told of chatID, on disk; r.mu is held.
func (r *ToldSets) set(chatID string, ids []string) {
	if len(ids) == 0 {
		delete(r.st, chatID)
	} else {
		r.st[chatID] = ids
	}
	if r.path != "" {
		if err := SaveStateFile(r.path, r.st); err != nil {
			r.log.Warn(r.what+" could not be kept; one may be told again after a restart", "file", r.path, "err", err)
		}
	}
}
