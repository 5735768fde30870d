package whatsapp

import (
	"context"
	"errors"
	"slices"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A group's admins hear in its room of each request to join it
// (groupnotices.go), and answer one from there with Signal's gesture
// (plugins/signal/joinrequests.go): inviting the person to the room
// approves it, banning their address rejects it (whatsmeow's
// UpdateGroupRequestParticipants). The requests pending are asked of
// WhatsApp at each gesture, never kept: one answered on a phone
// meanwhile is pending no longer, and the gesture is then the ordinary
// add or removal.

// Room lines said when a request is answered from the room.
const (
	requestRejectedText = "Rejected the request to join this group of "
	notAdminRejectText  = "only this group's admins may reject a request to join it (or remove a member)"
)

// answerRequest approves or rejects user's request to join jid when
// they have one pending: handled is false when they have none (a member,
// or someone who did not ask), and for an approval when WhatsApp shows
// the user no requests (not an admin): the caller adds or removes them
// as anyone. A rejection by someone not an admin is refused with words
// that say so.
func (s *Session) answerRequest(ctx context.Context, chatID string, jid, user types.JID, userID string, action whatsmeow.ParticipantRequestChange) (handled bool, err error) {
	if g, ok := s.cachedGroup(jid); ok && slices.ContainsFunc(g.Participants, func(p types.GroupParticipant) bool { return names(p, user) }) {
		return false, nil
	}
	reqs, err := s.d.cli.GetGroupRequestParticipants(ctx, jid)
	switch {
	case notAdmin(err) && action == whatsmeow.ParticipantChangeApprove:
		return false, nil // a member who may add others adds them
	case notAdmin(err):
		return true, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: %s not removed: %s", userID, notAdminRejectText)
	case err != nil:
		return true, s.sendErr("read the group's requests to join", err)
	}
	i := slices.IndexFunc(reqs, func(r types.GroupParticipantRequest) bool { return s.samePerson(r.JID, user) })
	if i < 0 {
		return false, nil
	}
	verb := "approve"
	if action == whatsmeow.ParticipantChangeReject {
		verb = "reject"
	}
	if action == whatsmeow.ParticipantChangeReject {
		// Said here, not again when WhatsApp tells the group's admins
		// (which may come before its answer).
		s.noteRejected(jid, user, reqs[i].JID)
	}
	ps, err := s.d.cli.UpdateGroupRequestParticipants(ctx, jid, []types.JID{reqs[i].JID}, action)
	if err != nil || slices.ContainsFunc(ps, func(p types.GroupParticipant) bool { return p.Error != 0 }) {
		s.rejectedHere(jid, user, reqs[i].JID) // not rejected here after all
	}
	if err != nil {
		if notAdmin(err) {
			return true, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: %s the request to join of %s: only this group's admins may", verb, userID)
		}
		return true, s.sendErr(verb+" the request to join of "+userID, err)
	}
	for _, p := range ps {
		if p.Error != 0 {
			return true, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED,
				"whatsapp: WhatsApp refused to %s the request to join of %s (error %d): another admin may have answered it already", verb, userID, p.Error)
		}
	}
	if action == whatsmeow.ParticipantChangeReject {
		s.tellRoom(chatID, requestRejectedText+s.askerName(user))
	}
	// An approval shows as the person joining: WhatsApp tells the
	// group's members of the add.
	return true, nil
}

// notAdmin says whether err is WhatsApp's refusal to someone who is
// not an admin of the group.
func notAdmin(err error) bool {
	return errors.Is(err, whatsmeow.ErrIQNotAuthorized) || errors.Is(err, whatsmeow.ErrIQForbidden)
}

// samePerson says whether a and b are one person, by phone number or
// LID (a request is listed by LID, the room's address by phone number).
func (s *Session) samePerson(a, b types.JID) bool {
	a, b = a.ToNonAD(), b.ToNonAD()
	return a == b || s.ids.userID(a) == s.ids.userID(b)
}

// askerName names someone asking to join for the room's admins, who
// answer by their address: as requesterName, and for someone known only
// by a LID, that address's user ID too (lid-…), which they invite or
// kick; "Someone" alone left them no way to answer from the room.
func (s *Session) askerName(who types.JID) string {
	name := s.requesterName(who)
	if who.Server == types.HiddenUserServer {
		name += " (" + lidPrefix + who.User + ")"
	}
	return name
}

// rejectedKey names a request to join group of user, rejected from the
// room.
func rejectedKey(group, user types.JID) string {
	return group.ToNonAD().String() + " " + user.ToNonAD().String()
}

// rejectedKeep bounds how long a rejection from the room awaits
// WhatsApp's notice of it (which comes within seconds, or with the
// notifications kept while the gateway was away): one that never comes
// (the connection dropped first) was awaited for the whole run, and the
// notice of the user's next rejection of that person, on the phone,
// taken for it and not said. Past it, a notice come late says the
// rejection a second time.
const rejectedKeep = 10 * time.Minute

// rejection is a request to join rejected from the room whose notice
// has not come: when, and the keys it is kept under (one per ID of the
// requester), all forgotten together.
type rejection struct {
	at   time.Time
	keys []string
}

// noteRejected keeps that the request to join group of who (under each
// of its IDs) was rejected from the room and said so there: WhatsApp's
// notice of it to the admins, the user's own, says nothing more.
// Rejections past rejectedKeep are forgotten.
func (s *Session) noteRejected(group types.JID, who ...types.JID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &rejection{at: now()}
	for k, was := range s.rejected {
		if r.at.Sub(was.at) > rejectedKeep {
			delete(s.rejected, k)
		}
	}
	if s.rejected == nil {
		s.rejected = map[string]*rejection{}
	}
	for _, j := range who {
		if j.IsEmpty() {
			continue
		}
		k := rejectedKey(group, j)
		if was, ok := s.rejected[k]; ok {
			for _, wk := range was.keys { // an earlier one, under IDs not named now
				delete(s.rejected, wk)
			}
		}
		r.keys = append(r.keys, k)
		s.rejected[k] = r
	}
}

// rejectedHere says whether the request to join group of who (or its
// other ID) was rejected from the room, not longer than rejectedKeep
// ago, forgetting it under all its IDs (a notice may name the requester
// by one alone): its notice is said once. A new request of theirs
// forgets it too (forgetRejected).
func (s *Session) rejectedHere(group types.JID, who ...types.JID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	for _, j := range who {
		if j.IsEmpty() {
			continue
		}
		r, ok := s.rejected[rejectedKey(group, j)]
		if !ok {
			continue
		}
		for _, k := range r.keys {
			delete(s.rejected, k)
		}
		found = found || now().Sub(r.at) <= rejectedKeep
	}
	return found
}

// forgetRejected forgets a rejection from the room of who's request to
// join group, whose notice has not come: they asked again, so a notice
// from now on is of a later rejection.
func (s *Session) forgetRejected(group types.JID, who ...types.JID) {
	s.rejectedHere(group, who...)
}
