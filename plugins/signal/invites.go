package signal

import (
	"context"
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
// of the user is told in the inviter's chat (invited.go); an update of
// no known author says nothing, as the apps do not say whose.
func (s *Session) invitesTold(ctx context.Context, chatID string, old *group, g groupEntry, by *pb.Sender, at int64) {
	if by == nil || by.UserId == "" {
		return
	}
	mine := by.IsFromMe || by.UserId == s.selfID()
	notice := func(kind, text string) { s.groupNotice(ctx, chatID, kind, at, by.UserId, text) }
	pending := s.pendingOf(g)
	var ids []string
	for id := range pending {
		if !old.pending[id] && id != s.selfID() {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		slices.Sort(ids)
		notice("invited", s.invitesText(by.UserId, mine, ids))
	}
	// Ended: pending before, not now, nor in the group (accepted: their
	// joining is told).
	members := s.userIDsOf(g.Members)
	var revoked []string
	declined := false
	for id := range old.pending {
		switch {
		case pending[id] || members[id] || id == s.selfID():
		case id == by.UserId:
			declined = true
		default:
			revoked = append(revoked, id)
		}
	}
	if declined {
		notice("declined", "Someone declined an invitation to the group.")
	}
	if len(revoked) > 0 {
		slices.Sort(revoked)
		notice("revoked", s.revokedText(by.UserId, mine, revoked))
	}
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

// invitesText is the notice of inviter's invitation of ids: the user's
// own names them, another's counts them, as Signal's apps say it.
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
	return s.displayName(inviter) + " invited " + people + " to the group."
}

// displayName is id's name in a notice: their nick and ID, else the ID.
func (s *Session) displayName(id string) string {
	if nick := s.names.nick(id); nick != "" {
		return nick + " (" + id + ")"
	}
	return id
}
