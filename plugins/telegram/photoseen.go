package telegram

import (
	"encoding/binary"

	"github.com/gotd/td/tg"
	bolt "go.etcd.io/bbolt"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A contact's profile photo removed while the gateway was away is told at
// the next contact list. Telegram's updateUser has no pts, so no catch-up
// brings it, and a contact listed without a photo says "" (nothing to
// say: an avatar ID makes the gateway ask UserInfo, a users.getFullUser,
// for each contact at each start). So the contacts listed (or told live)
// with a photo are kept in the login's database; one of them listed
// without a photo now, as its user object in the list says (a full user
// without photo has none the account may see), gets the avatar ID "none",
// whose UserInfo has no picture: the gateway clears the old one.
//
// The removal stays noted ("none") and every contact list says it again
// while the photo stays gone: the gateway, which keeps the avatar IDs it
// fetched, asks nothing for an ID it has, and a removal whose telling was
// lost (the plugin killed before the gateway had the list or the live
// event, or the gateway's UserInfo failed) is told again. A photo told
// live is noted only once the gateway confirmed its event (emitEvents):
// noted before, a kill in between left the photo noted that the gateway
// never had, or a removal noted told that it never had.

// bucketPhotos holds the users last told with a profile photo, or its
// removal.
var bucketPhotos = []byte("photos") // user ID -> nothing, or photoGone

// photoGone marks a user whose photo's removal was told.
var photoGone = []byte(sdk.NoAvatarID)

// photoUsers are the users last told with a profile photo (true) or its
// removal (false).
func (s *store) photoUsers() (map[int64]bool, error) {
	out := map[int64]bool{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPhotos)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if len(k) == 8 {
				out[int64(binary.BigEndian.Uint64(k))] = len(v) == 0
			}
			return nil
		})
	})
	return out, err
}

// setPhotoUsers replaces the users told with a photo or its removal by
// ids (as photoUsers).
func (s *store) setPhotoUsers(ids map[int64]bool) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketPhotos); err != nil && err != bolt.ErrBucketNotFound {
			return err
		}
		b, err := tx.CreateBucket(bucketPhotos)
		if err != nil {
			return err
		}
		for id, has := range ids {
			if err := b.Put(idKey(id), photoValue(has)); err != nil {
				return err
			}
		}
		return nil
	})
}

func photoValue(has bool) []byte {
	if has {
		return []byte{}
	}
	return photoGone
}

// setPhotoUser notes that user id was told with a photo (has) or its
// removal.
func (s *store) setPhotoUser(id int64, has bool) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketPhotos)
		if err != nil {
			return err
		}
		return b.Put(idKey(id), photoValue(has))
	})
}

// photosRemoved sets the avatar ID "none" on the contacts of a contact
// list (out, with their users) listed with a photo, or its removal, last
// time and without one now, and keeps who has one now and whose removal
// stands.
func (s *Session) photosRemoved(out []*pb.Contact, users map[string]*tg.User) {
	st := s.db()
	if st == nil {
		return
	}
	had, err := st.photoUsers()
	if err != nil {
		s.n.log().Warn("telegram: the contacts' photos last told are not readable", "login", s.login.LoginID, "err", err)
	}
	now := map[int64]bool{}
	for _, c := range out {
		u := users[c.UserId]
		if u == nil {
			continue
		}
		hasPhoto, known := had[u.ID]
		switch {
		case c.AvatarId == "" && !known:
		case c.AvatarId != "":
			now[u.ID] = true
		case u.Min:
			// A "min" user's description may leave the photo out: what
			// was told stands.
			now[u.ID] = hasPhoto
		default:
			c.AvatarId = sdk.NoAvatarID
			now[u.ID] = false
		}
	}
	if err := st.setPhotoUsers(now); err != nil {
		s.n.log().Warn("telegram: the contacts' photos not kept; a photo removed while away will not be told", "login", s.login.LoginID, "err", err)
	}
}

// photosTold notes the contacts' avatar IDs of evs, which the gateway
// confirmed (emitEvents): a photo or its removal.
func (s *Session) photosTold(evs []*pb.Event) {
	st := s.db()
	if st == nil {
		return
	}
	for _, ev := range evs {
		c := ev.GetContact().GetContact()
		if c == nil || c.AvatarId == "" {
			continue
		}
		kind, uid, err := parsePeer(c.UserId)
		if err != nil || kind != peerUser {
			continue
		}
		if err := st.setPhotoUser(uid, c.AvatarId != sdk.NoAvatarID); err != nil {
			s.n.log().Warn("telegram: a contact's photo not kept", "login", s.login.LoginID, "err", err)
		}
	}
}
