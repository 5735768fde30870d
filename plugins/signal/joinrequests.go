package signal

import (
	"cmp"
	"context"
	"log/slog"
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
	ids := s.requestsTold.Update(chatID, s.requesters(g))
	if at == 0 {
		at = time.Now().UnixMilli()
	}
	for _, id := range ids {
		who := s.displayName(id) // invites.go
		before := s.unfinished.Load()
		s.groupNotice(ctx, chatID, "join-request", at, id, joinRequestText(who))
		if s.unfinished.Load() != before {
			s.requestsTold.Untold(chatID, id)
		}
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
