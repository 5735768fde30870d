package signal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A member who adds someone without their profile key only invites them
// (pendingMembers, invited.go for the user's own invitations): the
// invitee is no member until they accept, so the room's members do not
// change, and the update said nothing. Signal's apps show it in the
// group's chat, "Bob invited 1 person to the group.", naming no one (an
// invitee has not accepted to be seen there); the user's own
// invitation, from the phone, names them. The room says it alike, and
// says an invitation that ended without the invitee joining: "Bob
// revoked an invitation to the group.", "Someone declined an invitation
// to the group." (the invitee's own update).

// pendingOf are the user IDs of those invited to group g.
func (s *Session) pendingOf(g groupEntry) map[string]bool { return s.userIDsOf(g.PendingMembers) }

// invitesTold tells in the room of chatID those the update at (Unix ms)
// by invited to group g: pending now, not before (old); and those whose
// invitation it ended, withdrawn or declined. An invitation
// of the user is told in the inviter's chat (invited.go). An update
// whose author is not known (by nil: the read may hold others' changes,
// revisions.go) tells them as someone's, and an invitation ended as
// revoked or declined, which it cannot tell apart.
func (s *Session) invitesTold(ctx context.Context, chatID string, old *group, g groupEntry, by *pb.Sender, at int64) {
	author := by.GetUserId()
	mine := author != "" && (by.IsFromMe || author == s.selfID())
	notice := func(kind, text string) { s.groupNotice(ctx, chatID, kind, at, author, text) }
	pending := s.pendingOf(g)
	var ids []string
	for id := range pending {
		if !old.pending[id] && id != s.selfID() {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		slices.Sort(ids)
		// Named by whom it says invited too: a change cut short told
		// again with more invited (its notice's confirmation lost, and
		// another invitation since) is another notice, not dropped by
		// the host as the one it had under the same update's ID.
		notice(namedBy("invited", ids), s.invitesText(author, mine, ids))
	}
	// Ended: pending before, not now, nor in the group (accepted: their
	// joining is told).
	members := s.userIDsOf(g.Members)
	var revoked []string
	declined := false
	for id := range old.pending {
		switch {
		case pending[id] || members[id] || id == s.selfID():
		case id == author:
			declined = true
		default:
			revoked = append(revoked, id)
		}
	}
	// The decliner is the update's author, whom the ID names already.
	if declined {
		notice("declined", "Someone declined an invitation to the group.")
	}
	// Named by whose invitations ended too, as an invitation's: an
	// update's envelope handled again at the next start (its notice's
	// confirmation lost) may read more ended since.
	slices.Sort(revoked)
	switch {
	case len(revoked) > 0 && author == "":
		notice(namedBy("revoked", revoked), endedText(len(revoked)))
	case len(revoked) > 0:
		notice(namedBy("revoked", revoked), s.revokedText(author, mine, revoked))
	}
}

// namedBy is the kind of a notice about ids (sorted), named by them: a
// digest, an event ID staying short for many.
func namedBy(kind string, ids []string) string {
	sum := sha256.Sum256([]byte(strings.Join(ids, "\n")))
	return kind + hex.EncodeToString(sum[:6])
}

// revokedText is the notice of revoker's withdrawal of the invitations
// of ids: the user's own names them, another's counts them, as for an
// invitation (invitesText).
func (s *Session) revokedText(revoker string, mine bool, ids []string) string {
	if mine {
		names := make([]string, len(ids))
		for i, id := range ids {
			names[i] = s.displayName(id)
		}
		of := "the invitation of "
		if len(ids) > 1 {
			of = "the invitations of "
		}
		return "You revoked " + of + strings.Join(names, ", ") + " to the group."
	}
	if len(ids) == 1 {
		return s.displayName(revoker) + " revoked an invitation to the group."
	}
	return s.displayName(revoker) + " revoked " + strconv.Itoa(len(ids)) + " invitations to the group."
}

// endedText is the notice of n invitations ended by an update whose
// author is not known: revoked, or declined by the invitee.
func endedText(n int) string {
	if n == 1 {
		return "An invitation to the group was revoked or declined."
	}
	return strconv.Itoa(n) + " invitations to the group were revoked or declined."
}

// invitesText is the notice of inviter's invitation of ids: the user's
// own names them, another's counts them, as Signal's apps say it
// ("Someone" for an inviter not known, "").
func (s *Session) invitesText(inviter string, mine bool, ids []string) string {
	if mine {
		names := make([]string, len(ids))
		for i, id := range ids {
			names[i] = s.displayName(id)
		}
		return "You invited " + strings.Join(names, ", ") + " to the group."
	}
	people := "1 person"
	if len(ids) > 1 {
		people = strconv.Itoa(len(ids)) + " people"
	}
	if inviter == "" {
		return "Someone invited " + people + " to the group."
	}
	return s.displayName(inviter) + " invited " + people + " to the group."
}

// displayName is id's name in a notice: their nick and ID, else the ID.
func (s *Session) displayName(id string) string {
	if nick := s.names.nick(id); nick != "" {
		return nick + " (" + id + ")"
	}
	return id
}
