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
// without photo has none the account may see), gets the avatar ID "none"
// once, whose UserInfo has no picture: the gateway clears the old one.

// bucketPhotos holds the users last told with a profile photo.
var bucketPhotos = []byte("photos") // user ID -> nothing

// photoUsers are the users last told with a profile photo.
func (s *store) photoUsers() (map[int64]bool, error) {
	out := map[int64]bool{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPhotos)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, _ []byte) error {
			if len(k) == 8 {
				out[int64(binary.BigEndian.Uint64(k))] = true
			}
			return nil
		})
	})
	return out, err
}

// setPhotoUsers replaces the users told with a photo by ids.
func (s *store) setPhotoUsers(ids map[int64]bool) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketPhotos); err != nil && err != bolt.ErrBucketNotFound {
			return err
		}
		b, err := tx.CreateBucket(bucketPhotos)
		if err != nil {
			return err
		}
		for id := range ids {
			if err := b.Put(idKey(id), nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// setPhotoUser notes whether user id was told with a photo.
func (s *store) setPhotoUser(id int64, has bool) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketPhotos)
		if err != nil {
			return err
		}
		if has {
			return b.Put(idKey(id), nil)
		}
		return b.Delete(idKey(id))
	})
}

// photosRemoved sets the avatar ID "none" on the contacts of a contact
// list (out, with their users) listed with a photo last time and without
// one now, and keeps who has one now.
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
		switch {
		case u == nil, c.AvatarId == "" && !had[u.ID]:
		case c.AvatarId != "", u.Min:
			// A "min" user's description may leave the photo out: the
			// one told stands.
			now[u.ID] = true
		default:
			c.AvatarId = sdk.NoAvatarID
		}
	}
	if err := st.setPhotoUsers(now); err != nil {
		s.n.log().Warn("telegram: the contacts' photos not kept; a photo removed while away will not be told", "login", s.login.LoginID, "err", err)
	}
}

// photoTold notes a contact's avatar ID told live (userEvents): a photo
// or its removal.
func (s *Session) photoTold(uid int64, avatarID string) {
	st := s.db()
	if st == nil {
		return
	}
	if err := st.setPhotoUser(uid, avatarID != "" && avatarID != sdk.NoAvatarID); err != nil {
		s.n.log().Warn("telegram: a contact's photo not kept", "login", s.login.LoginID, "err", err)
	}
}
