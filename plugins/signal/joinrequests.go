package signal

import (
	"cmp"
	"context"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"passerelle.im/passerelle/plugins/sdk"
)

// A group whose admins approve newcomers (its link set so) lists those
// who asked to join by the link (requestingMembers): Signal's apps show
// each request in the group's chat, and its admins approve or refuse it
// there. The room says it too, and how: signal-cli approves a request
// by adding the member (an XMPP invitation to the room, Invite) and
// refuses it by removing them (a kick of their address, Kick).

// requesters are the user IDs of those asking to join group g.
func (s *Session) requesters(g groupEntry) map[string]bool { return s.userIDsOf(g.RequestingMembers) }

// joinRequests tells in the group's room each request to join that the
// update at (Unix ms; 0: now) brought, or that came while no session
// read the group (a request sends the members no message: the apps see
// it in the group's state, which the plugin reads at each connection,
// refreshGroups): those asking now who were not told yet. The requests
// told are kept in the login's folder, so that a restart tells none
// again; one refused or approved is forgotten, so that a new request of
// the same person is told. Each is noted told once the host confirmed
// its notice (tellOnce): before, it was noted first, and a plugin killed
// before the host had the notice told it never.
func (s *Session) joinRequests(ctx context.Context, chatID string, g groupEntry, at int64) {
	current := s.requesters(g)
	if at == 0 {
		at = time.Now().UnixMilli()
	}
	s.requestsMu.Lock()
	told := map[string]bool{}
	for id := range current {
		if s.requestsTold.Told(chatID, id) {
			told[id] = true
		}
	}
	s.requestsTold.Update(chatID, told) // forgets those answered
	fresh := s.requestTimes.name(chatID, current, told, at)
	if s.requestsRead == nil {
		s.requestsRead = map[string]map[string]bool{}
	}
	s.requestsRead[chatID] = current
	s.requestsMu.Unlock()
	for _, id := range slices.Sorted(maps.Keys(fresh)) {
		s.tellOnce(ctx, &s.requestsTelling, chatID+"\x00"+id, func() bool { return s.requestsTold.Told(chatID, id) },
			func() { s.requestTold(chatID, id, current) },
			groupNoticeEvent(chatID, "join-request", fresh[id], id, joinRequestText(s.displayName(id)))) // invites.go
	}
}

// requestTold notes id's request to join chatID told, beside those
// told already of current (the requests as its caller read them) and of
// the requests as last read: one told by a later read while id's notice
// was on its way stays told (current alone would drop it, and the next
// read tell it again).
func (s *Session) requestTold(chatID, id string, current map[string]bool) {
	s.requestsMu.Lock()
	defer s.requestsMu.Unlock()
	keep := map[string]bool{id: true}
	for _, ids := range []map[string]bool{current, s.requestsRead[chatID]} {
		for c := range ids {
			if s.requestsTold.Told(chatID, c) {
				keep[c] = true
			}
		}
	}
	s.requestsTold.Update(chatID, keep)
	s.requestTimes.told(chatID, id)
}

// requestTimesFile keeps the times naming the requests to join not yet
// noted told, by chat and user ID.
const requestTimesFile = "join-requests-at.json"

// requestTimes are the times (Unix ms) naming the requests to join whose
// notice is on its way to the host, or was not confirmed, kept in the
// login's folder: one told again after a kill keeps its event ID, which
// the host drops if it had it. Named by now (the groups read at a
// connection), it would come twice. A nil one keeps none (a session
// made without it: the package's tests).
type requestTimes struct {
	path string // "": in memory only
	log  *slog.Logger
	m    map[string]map[string]int64
}

// loadRequestTimes reads the times kept in dir ("": in memory only).
func loadRequestTimes(dir string, log *slog.Logger) *requestTimes {
	r := &requestTimes{log: log, m: map[string]map[string]int64{}}
	if dir == "" {
		return r
	}
	r.path = filepath.Join(dir, requestTimesFile)
	if m, ok := sdk.LoadStateFile[map[string]map[string]int64](r.path, "a request to join told again after a crash may come twice", log); ok && m != nil {
		r.m = m
	}
	return r
}

// name returns the requests of chatID in current not told, each with the
// time naming it: the one kept, else at, kept on disk before it returns.
// Those no longer current are forgotten. Under the session's requestsMu.
func (r *requestTimes) name(chatID string, current, told map[string]bool, at int64) map[string]int64 {
	fresh := map[string]int64{}
	if r == nil {
		for id := range current {
			if !told[id] {
				fresh[id] = at
			}
		}
		return fresh
	}
	kept := map[string]int64{}
	for id := range current {
		if !told[id] {
			fresh[id] = cmp.Or(r.m[chatID][id], at)
			kept[id] = fresh[id]
		}
	}
	if !maps.Equal(kept, r.m[chatID]) {
		r.set(chatID, kept)
	}
	return fresh
}

// told forgets the time of id's request to join chatID, noted told.
// Under the session's requestsMu.
func (r *requestTimes) told(chatID, id string) {
	if r == nil {
		return
	}
	if _, ok := r.m[chatID][id]; ok {
		kept := maps.Clone(r.m[chatID])
		delete(kept, id)
		r.set(chatID, kept)
	}
}

// set keeps kept as chatID's times, on disk.
func (r *requestTimes) set(chatID string, kept map[string]int64) {
	if len(kept) == 0 {
		delete(r.m, chatID)
	} else {
		r.m[chatID] = kept
	}
	if r.path == "" {
		return
	}
	if err := sdk.SaveStateFile(r.path, r.m); err != nil {
		r.log.Warn("signal: the times of the requests to join being told could not be kept; one told again after a crash may come twice", "file", r.path, "err", err)
	}
}

// requestsToldFile keeps the requests to join told, by chat ID.
const requestsToldFile = "join-requests-told.json"

// loadRequestsTold reads the user IDs whose request to join was told,
// by the group's chat ID, kept in dir ("" in memory only).
func loadRequestsTold(dir string, log *slog.Logger) *sdk.ToldSets {
	return loadToldSets(dir, requestsToldFile, "signal: the requests to join told", "the requests to join pending are told again", log)
}

// joinRequestText is the notice of who's request to join.
func joinRequestText(who string) string {
	return cmp.Or(who, "Someone") + " asks to join this group by its link. An admin lets them in by inviting them to this room, " +
		"or refuses by banning their address; or on the phone."
}

// requestTimesForget drops the times of chatID's requests, a group the
// user is out of.
func (s *Session) requestTimesForget(chatID string) {
	s.requestsMu.Lock()
	defer s.requestsMu.Unlock()
	delete(s.requestsRead, chatID)
	if r := s.requestTimes; r != nil && r.m[chatID] != nil {
		r.set(chatID, nil)
	}
}

// requestTimesKeepOnly drops the times of the requests of the groups not
// in chats (those the user is in, read at a connection).
func (s *Session) requestTimesKeepOnly(chats map[string]bool) {
	s.requestsMu.Lock()
	defer s.requestsMu.Unlock()
	for id := range s.requestsRead {
		if !chats[id] {
			delete(s.requestsRead, id)
		}
	}
	r := s.requestTimes
	if r == nil {
		return
	}
	for id := range r.m {
		if !chats[id] {
			r.set(id, nil)
		}
	}
}
