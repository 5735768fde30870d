package signal

import (
	"cmp"
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
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
// the same person is told, and so is one whose notice the host did not
// confirm on disk: the next start tells it.
func (s *Session) joinRequests(ctx context.Context, chatID string, g groupEntry, at int64) {
	ids := s.requestsTold.update(chatID, s.requesters(g))
	if at == 0 {
		at = time.Now().UnixMilli()
	}
	for _, id := range ids {
		who := s.displayName(id) // invites.go
		before := s.unfinished.Load()
		s.groupNotice(ctx, chatID, "join-request", at, id, joinRequestText(who))
		if s.unfinished.Load() != before {
			s.requestsTold.untold(chatID, id)
		}
	}
}

// requestsToldFile keeps the requests to join told, by chat ID.
const requestsToldFile = "join-requests-told.json"

// requestsTold are the user IDs whose request to join was told, by the
// group's chat ID, kept on disk.
type requestsTold struct {
	mu   sync.Mutex
	path string
	st   map[string][]string
	log  *slog.Logger
}

func loadRequestsTold(dir string, log *slog.Logger) *requestsTold {
	r := &requestsTold{st: map[string][]string{}, log: log}
	if dir == "" {
		return r
	}
	r.path = filepath.Join(dir, requestsToldFile)
	if st, ok := sdk.LoadStateFile[map[string][]string](r.path, "the requests to join pending are told again", log); ok {
		r.st = st
	}
	return r
}

// update notes that those of asking are the ones asking to join chatID
// now, and returns those of them not told before, sorted: the caller
// tells them.
func (r *requestsTold) update(chatID string, asking map[string]bool) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.st[chatID]
	var fresh, now []string
	for id := range asking {
		now = append(now, id)
		if !slices.Contains(old, id) {
			fresh = append(fresh, id)
		}
	}
	slices.Sort(fresh)
	slices.Sort(now)
	if slices.Equal(now, old) {
		return fresh
	}
	r.set(chatID, now)
	return fresh
}

// untold notes that id's request to join chatID was not told after all
// (its notice not on disk): the next start tells it.
func (r *requestsTold) untold(chatID, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.set(chatID, slices.DeleteFunc(slices.Clone(r.st[chatID]), func(x string) bool { return x == id }))
}

// forget drops the requests told of chatID, a group the user is out of:
// kept, they would stay for good, and a request still pending when the
// user is back in the group would not be told in its room.
func (r *requestsTold) forget(chatID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.st[chatID]; ok {
		r.set(chatID, nil)
	}
}

// keepOnly drops the requests told of the groups not in chatIDs, those
// the user is in (read at a connection): one left while the plugin was
// away, its update missed.
func (r *requestsTold) keepOnly(chatIDs map[string]bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id := range r.st {
		if !chatIDs[id] {
			r.set(id, nil)
		}
	}
}

// set keeps ids as those told of chatID, on disk; r.mu is held.
func (r *requestsTold) set(chatID string, ids []string) {
	if len(ids) == 0 {
		delete(r.st, chatID)
	} else {
		r.st[chatID] = ids
	}
	if r.path != "" {
		if err := sdk.SaveStateFile(r.path, r.st); err != nil {
			r.log.Warn("signal: the requests to join told could not be kept; one may be told again after a restart", "file", r.path, "err", err)
		}
	}
}

// joinRequestText is the notice of who's request to join.
func joinRequestText(who string) string {
	return cmp.Or(who, "Someone") + " asks to join this group by its link. An admin lets them in by inviting them to this room, " +
		"or refuses by banning their address; or on the phone."
}
