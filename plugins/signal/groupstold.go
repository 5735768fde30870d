package signal

import (
	"encoding/json"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"sync"

	"passerelle.im/passerelle/plugins/sdk"
)

// What a group's room was last told of the group's disappearing
// messages timer and of its settings and invitations is what an update
// is compared with (calls.go, settings.go). It outlives the plugin: a
// restarted plugin that knew none took the group as first seen, by
// whichever read came first (the groups read at the connection, or the
// read for the first update, racing each other), so a change made while
// it was down went untold. It is kept in the login's folder, written
// after the update's notices and outside the session's lock, and an
// update whose handling did not finish puts back what was told before
// it (its envelope is handled again at the next start, which tells it
// then).

// groupsToldFile keeps what each group's room was told, by chat ID.
const groupsToldFile = "groups-told.json"

// maxGroupsTold bounds the groups kept; past it one is dropped, whose
// next update is then compared with the group as first read.
const maxGroupsTold = 5000

// groupTold is what a group's room was last told (or the group as first
// known, which tells nothing).
type groupTold struct {
	// Timer in seconds (0: off); nil: none known.
	Timer *int `json:"t,omitempty"`
	// Settings nil: none known.
	Settings *toldSettings `json:"s,omitempty"`
}

// toldSettings is shownOf's group as kept on disk.
type toldSettings struct {
	Send    string   `json:"send,omitempty"`
	Edit    string   `json:"edit,omitempty"`
	Add     string   `json:"add,omitempty"`
	Link    string   `json:"link,omitempty"`
	Pending []string `json:"pending,omitempty"` // user IDs, sorted
}

func settingsOf(shown *group) *toldSettings {
	return &toldSettings{Send: shown.perms.send, Edit: shown.perms.edit, Add: shown.perms.add, Link: shown.link,
		Pending: slices.Sorted(maps.Keys(shown.pending))}
}

func (t *toldSettings) group() *group {
	pending := map[string]bool{}
	for _, id := range t.Pending {
		pending[id] = true
	}
	return &group{perms: groupPerms{send: t.Send, edit: t.Edit, add: t.Add}, link: t.Link, pending: pending}
}

func (t *toldSettings) equal(o *toldSettings) bool {
	return t.Send == o.Send && t.Edit == o.Edit && t.Add == o.Add && t.Link == o.Link && slices.Equal(t.Pending, o.Pending)
}

// groupsTold are the groups' groupTold, by chat ID. Its methods change
// it in memory only (cheap: the session calls some under its lock);
// save writes it.
type groupsTold struct {
	path string // "" when kept in memory only
	log  *slog.Logger

	mu      sync.Mutex
	m       map[string]groupTold
	changes uint64 // changes of m made
	// handling are the groups whose update is being handled, with what
	// was told before it, written meanwhile (begin; toldsets.go).
	handling onTheWay[groupTold]

	saveMu sync.Mutex // one write at a time, the newest last
	saved  uint64     // changes on disk
}

// loadGroupsTold reads what the rooms were told, kept in the login
// folder dir ("": memory only).
func loadGroupsTold(dir string, log *slog.Logger) *groupsTold {
	t := &groupsTold{log: log, m: map[string]groupTold{}}
	if dir == "" {
		return t
	}
	t.path = filepath.Join(dir, groupsToldFile)
	if m, ok := sdk.LoadStateFile[map[string]groupTold](t.path, "a group's timer or settings changed while the plugin was down may go untold", log); ok {
		t.m = m
	}
	return t
}

// put keeps e as chat's, dropping another group's when full; t.mu is
// held.
func (t *groupsTold) put(chat string, e groupTold) {
	if _, ok := t.m[chat]; !ok {
		for id := range t.m {
			if len(t.m) < maxGroupsTold {
				break
			}
			delete(t.m, id)
		}
	}
	t.m[chat] = e
	t.changes++
}

// firstSight takes a group's timer and settings as they are when it is
// first known, each unless one is known already: no notice.
func (t *groupsTold) firstSight(chat string, timer int, shown *group) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.m[chat]
	if e.Timer != nil && e.Settings != nil {
		return
	}
	if e.Timer == nil {
		e.Timer = &timer
	}
	if e.Settings == nil {
		e.Settings = settingsOf(shown)
	}
	t.put(chat, e)
}

// timerKnown reports whether a group's timer was told (or taken as
// first known).
func (t *groupsTold) timerKnown(chat string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[chat].Timer != nil
}

// timerNow notes now as a group's timer told, and reports whether it
// differs from the one told before; keepIfKnown leaves a known one be
// (and reports no change).
func (t *groupsTold) timerNow(chat string, now int, keepIfKnown bool) (changed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.m[chat]
	if e.Timer != nil && (keepIfKnown || *e.Timer == now) {
		return false
	}
	known := e.Timer != nil
	e.Timer = &now
	t.put(chat, e)
	return known
}

// settingsSince notes now as a group's settings told and returns those
// told before (nil: none).
func (t *groupsTold) settingsSince(chat string, now *group) *group {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.m[chat]
	was, kept := e.Settings, settingsOf(now)
	if was != nil && was.equal(kept) {
		return was.group()
	}
	e.Settings = kept
	t.put(chat, e)
	if was == nil {
		return nil
	}
	return was.group()
}

// begin notes that an update of chat is being handled: until end, a
// save (another's: a query's read, the groups read at a connection)
// writes what was told before it, not what its notices, not yet on
// disk, are about to tell.
// Two at once (the user's own change beside an update's envelope)
// keep what was told before the first until the last ends.
func (t *groupsTold) begin(chat string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.handling.hold(chat, t.m)
}

// end closes begin. An update whose handling did not finish (finished
// false) puts back what was told before it: its envelope is handled
// again at the next start, which tells it then.
func (t *groupsTold) end(chat string, finished bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	was, had := t.handling.before(chat)
	t.handling.release(chat)
	t.changes++ // what save writes of chat is no longer was
	switch {
	case finished:
	case had:
		t.put(chat, was)
	default:
		delete(t.m, chat)
	}
}

// forget drops what was told of a group the user is out of: taken anew
// when it is known again.
func (t *groupsTold) forget(chat string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.m[chat]; ok {
		delete(t.m, chat)
		t.changes++
	}
}

// keepOnly forgets the groups not in chats (those the user is in, read
// at a connection): left, or blocked, while the plugin was away.
func (t *groupsTold) keepOnly(chats map[string]bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id := range t.m {
		if !chats[id] {
			delete(t.m, id)
			t.changes++
		}
	}
}

// save writes what changed since the last write, on disk before it
// returns. Called with no session lock held: it waits for the disk.
func (t *groupsTold) save() {
	if t.path == "" {
		return
	}
	t.saveMu.Lock()
	defer t.saveMu.Unlock()
	t.mu.Lock()
	if t.changes == t.saved {
		t.mu.Unlock()
		return
	}
	changes, m := t.changes, t.handling.disk(t.m)
	b, err := json.Marshal(m)
	t.mu.Unlock()
	if err == nil {
		err = sdk.WriteFileDurably(t.path, b)
	}
	if err != nil {
		t.log.Warn("signal: what the groups' rooms were told of their timers and settings cannot be written; after a restart a change may go untold", "file", t.path, "err", err)
		return
	}
	t.saved = changes
}
