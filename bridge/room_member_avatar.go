package bridge

import (
	"context"
	"errors"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// A member's avatar shows on its occupant in each room: the XEP-0153
// photo hash of its occupant presences (occupantLocked, room.go). When a
// fetch of the member's profile finds the picture changed (contacts.go:
// avatarFetched, announceAvatar), the occupant presences go again, with
// the new hash, to the joined resources of each room the member is an
// occupant of. Before, clients showed the old picture until the
// member's next presence. They take a turn in the room's order of writes
// (room_order.go), as the room's other presences do: not ahead of the
// copies of a message archived before.

// memberAvatarChanged sends member userID's occupant presences again,
// with the avatar hash the session now knows, in each room where the
// member is an occupant and the user has joined resources.
func (s *session) memberAvatarChanged(ctx context.Context, userID string) {
	for _, r := range s.rooms.all() {
		r.mu.Lock()
		if _, ok := r.members[userID]; !ok || len(r.joined) == 0 || !r.presentedLocked(s.t, userID) {
			r.mu.Unlock()
			continue // (not presented in a big group: its presence, with the hash, comes when it speaks)
		}
		// None to a resource sent it already (a join that raced the
		// fetch, a picture under a new ID the same): room_occupant_sent.go.
		out := r.occupantPresenceLocked(s, userID)
		if len(out) == 0 {
			r.mu.Unlock()
			continue
		}
		turn := r.sendTurnLocked()
		r.mu.Unlock()
		s.writeInTurn(ctx, turn, out)
	}
}

// The avatars of members who are no contacts are stored too (store
// bucket w, beside the contacts' v): after a restart their occupant
// presences carry the picture's hash at once, and a client that has the
// picture does not ask for the occupant's vCard again, a UserInfo call
// and a download on the network each. One record per room the member is
// in, dropped with the room (endRoom) or the login; at most
// store.MaxMemberAvatars per login.

// saveMemberAvatar stores the avatar a fetch of member userID's profile
// found (info), when userID is no contact (a contact's is saveAvatar's)
// and the picture is not the one known already: for each room it is a
// member of. Called before the session takes the new hash.
func (s *session) saveMemberAvatar(ctx context.Context, userID string, info *pb.Contact) {
	t := s.t
	if info.GetAvatarId() == "" {
		return // nothing to know it again by
	}
	hash := pictureHash(info.Avatar)
	if old, known := s.avatarHash(userID); known && old == hash {
		return // stored already (or a contact's)
	}
	switch _, err := t.db.GetPuppet(t.name, s.LoginID(), userID); {
	case err == nil:
		return // a contact's: saveAvatar stores it
	case !errors.Is(err, store.ErrNotFound):
		// Fetched again after a restart, as before the records.
		t.log.Warn("a member's avatar not stored: the contacts are unreadable", "user", s.user, "user_id", userID, "err", err)
		return
	}
	a := store.ContactAvatar{AvatarID: info.AvatarId, Hash: hash}
	for _, r := range s.rooms.all() {
		r.mu.Lock()
		_, member := r.members[userID]
		r.mu.Unlock()
		if !member {
			continue
		}
		if err := t.db.PutMemberAvatar(context.WithoutCancel(ctx), t.name, s.LoginID(), r.chatID, userID, a); err != nil {
			t.log.Warn("a member's avatar not stored", "user", s.user, "room", r.jid, "user_id", userID, "err", err)
		}
	}
}

// loadMemberAvatars takes the members' avatars as last fetched from the
// store, after the contacts' (which win: loadAvatars).
func (s *session) loadMemberAvatars() {
	avs, err := s.t.db.MemberAvatars(s.t.name, s.loginID)
	if err != nil {
		// Fetched again when the clients ask, as the first time.
		s.t.log.Warn("the members' stored avatars are unreadable", "user", s.user, "err", err)
		return
	}
	for id, a := range avs {
		if _, ok := s.avatars[id]; !ok {
			s.avatarIDs[id], s.avatars[id] = a.AvatarID, a.Hash
		}
	}
}

// forgetMemberAvatars drops the stored avatars of the members of the
// room of chatID, which ended.
func (s *session) forgetMemberAvatars(ctx context.Context, chatID string) {
	if err := s.t.db.DeleteMemberAvatarsIn(context.WithoutCancel(ctx), s.t.name, s.LoginID(), chatID); err != nil {
		s.t.log.Warn("the members' avatars of an ended room not forgotten", "user", s.user, "chat", chatID, "err", err)
	}
}
