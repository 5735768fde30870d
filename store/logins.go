package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// Login is a user's account on one network. There is at most one login per
// (Transport, UserJID).
type Login struct {
	Transport string
	// UserJID is the user's bare JID, as the bridge normalized it; the store
	// compares it byte for byte.
	UserJID     string
	LoginID     string
	DisplayName string
	// SavedState is opaque plugin state handed back on Connect.
	SavedState []byte
	Created    time.Time
	Updated    time.Time
	// SeesPresence: the user approved the gateway's subscription to their
	// presence (XEP-0100), so a probe of theirs gets a true answer.
	SeesPresence bool
	// DataDir names the login's own folder, logins/<DataDir> under the
	// transport's data folder (contract v2's login_dir): one path element,
	// chosen by the host when the login process starts, kept so the same
	// folder comes back after a restart. "" for none (logins stored
	// before v2); see PutLogin and SetDataDir.
	DataDir string
	// ShareAvatar: the user asked that their XMPP avatar be their profile
	// picture on the network (off unless they say so).
	ShareAvatar bool
	// SharedAvatar is the SHA-1 (hex) of the avatar last set as the
	// user's profile picture on the network; "" for none.
	SharedAvatar string
	// Features are the login's own features, when it can do less than
	// its transport (a marshaled pb.Features, opaque here), as the plugin
	// last said with CONNECTED: kept so that a restart offers the user
	// no more until the plugin says it again. nil: the transport's.
	Features []byte
}

// MaxDataDir is the longest Login.DataDir accepted, in bytes: a file name
// on every common file system.
const MaxDataDir = 255

// checkDataDir accepts "" or one plain path element.
func checkDataDir(dir string) error {
	if err := checkPart("login folder", dir, true); err != nil {
		return err
	}
	switch {
	case len(dir) > MaxDataDir:
		return fmt.Errorf("%w: login folder is %d bytes, longer than %d", ErrInvalid, len(dir), MaxDataDir)
	case dir == "." || dir == "..":
		return fmt.Errorf("%w: login folder %q is not a folder name", ErrInvalid, dir)
	case strings.ContainsAny(dir, "/\\"):
		return fmt.Errorf("%w: login folder %q must be one name, without a path separator", ErrInvalid, dir)
	}
	return nil
}

func checkLoginKey(transport, userJID string) error {
	if err := checkPart("transport", transport, false); err != nil {
		return err
	}
	return checkPart("user JID", userJID, false)
}

func encodeLogin(l Login) []byte {
	e := newEnc(len(l.LoginID) + len(l.DisplayName) + len(l.SavedState) + len(l.DataDir) + len(l.SharedAvatar) + len(l.Features) + 52)
	e.str(l.LoginID)
	e.str(l.DisplayName)
	e.bytes(l.SavedState)
	e.time(l.Created)
	e.time(l.Updated)
	e.bool(l.SeesPresence)
	// Each field after SeesPresence is written only when it or one after
	// it is set: a login without them reads as before they existed.
	feats := len(l.Features) > 0
	sharing := l.ShareAvatar || l.SharedAvatar != "" || feats
	if l.DataDir != "" || sharing {
		e.str(l.DataDir)
	}
	if sharing {
		e.bool(l.ShareAvatar)
		e.str(l.SharedAvatar)
	}
	if feats {
		e.bytes(l.Features)
	}
	return e.b
}

func decodeLogin(transport, userJID string, v []byte) (Login, error) {
	d := newDec(v)
	l := Login{Transport: transport, UserJID: userJID}
	l.LoginID = d.str()
	l.DisplayName = d.str()
	l.SavedState = d.bytes()
	l.Created = d.time()
	l.Updated = d.time()
	if len(d.b) > 0 { // a login stored before the field existed has none
		l.SeesPresence = d.bool()
	}
	if len(d.b) > 0 { // nor a login stored before v2 a folder
		l.DataDir = d.str()
	}
	if len(d.b) > 0 { // nor one that never shared an avatar
		l.ShareAvatar = d.bool()
		l.SharedAvatar = d.str()
	}
	if len(d.b) > 0 { // nor one whose login said no features of its own
		l.Features = d.bytes()
	}
	if d.err != nil {
		return Login{}, fmt.Errorf("store: login %s/%s: %w", transport, userJID, d.err)
	}
	return l, nil
}

// PutLogin creates or replaces the login of (l.Transport, l.UserJID).
// Updated is set to now; Created is kept from the stored login, or set to
// l.Created (now if zero) on the first put. If the stored login had another
// LoginID, that account's data (puppets, message map, dedup keys, txns,
// pending outbox entries) is deleted, as DeleteLogin would: nothing could
// reach it any more. An empty DataDir keeps the stored one: the folder
// stays the login's until a put names another or the login is deleted. A
// DataDir that is another user's login folder on the transport is refused
// (ErrInvalid).
func (db *DB) PutLogin(ctx context.Context, l Login) error {
	if err := checkLoginKey(l.Transport, l.UserJID); err != nil {
		return err
	}
	if err := checkPart("login ID", l.LoginID, false); err != nil {
		return err
	}
	if err := checkDataDir(l.DataDir); err != nil {
		return err
	}
	// The caller may reuse them once we return.
	l.SavedState, l.Features = bytes.Clone(l.SavedState), bytes.Clone(l.Features)
	now := time.Now()
	tk, uk := []byte(l.Transport), []byte(l.UserJID)
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		lb, err := tx.Bucket(bLogins).CreateBucketIfNotExists(tk)
		if err != nil {
			return fmt.Errorf("store: put login: %w", err)
		}
		if err := folderFree(lb, l.Transport, l.UserJID, l.DataDir); err != nil {
			return &cleanError{err}
		}
		rec := l
		rec.Updated = now
		if v := lb.Get(uk); v != nil {
			// A corrupt old record is simply replaced.
			if old, err := decodeLogin(l.Transport, l.UserJID, v); err == nil {
				if !old.Created.IsZero() {
					rec.Created = old.Created
				}
				if rec.DataDir == "" {
					rec.DataDir = old.DataDir
				}
				if old.LoginID != l.LoginID {
					if err := db.needCheckpoint(); err != nil {
						return err
					}
					if err := dropLoginData(tx, l.Transport, old.LoginID, l.UserJID); err != nil {
						return err
					}
				}
			}
		}
		if rec.Created.IsZero() {
			rec.Created = now
		}
		if err := lb.Put(uk, encodeLogin(rec)); err != nil {
			return fmt.Errorf("store: put login: %w", err)
		}
		return forgetLoggedOut(tx, l.Transport, l.UserJID)
	})
}

// GetLogin returns the login of userJID on transport, or ErrNotFound.
func (db *DB) GetLogin(transport, userJID string) (Login, error) {
	if err := checkLoginKey(transport, userJID); err != nil {
		return Login{}, err
	}
	var l Login
	err := db.view(func(tx *bbolt.Tx) error {
		lb := tx.Bucket(bLogins).Bucket([]byte(transport))
		var v []byte
		if lb != nil {
			v = lb.Get([]byte(userJID))
		}
		if v == nil {
			return fmt.Errorf("%w: login of %s on %s", ErrNotFound, userJID, transport)
		}
		var err error
		l, err = decodeLogin(transport, userJID, v)
		return err
	})
	return l, err
}

// ListLogins returns every login on transport, ordered by user JID.
func (db *DB) ListLogins(transport string) ([]Login, error) {
	if err := checkPart("transport", transport, false); err != nil {
		return nil, err
	}
	var out []Login
	err := db.view(func(tx *bbolt.Tx) error {
		lb := tx.Bucket(bLogins).Bucket([]byte(transport))
		if lb == nil {
			return nil
		}
		return lb.ForEach(func(k, v []byte) error {
			l, err := decodeLogin(transport, string(k), v)
			if err != nil {
				return err
			}
			out = append(out, l)
			return nil
		})
	})
	return out, err
}

// SetSavedState replaces the plugin state of a login and bumps Updated.
// It returns ErrNotFound when the login does not exist.
func (db *DB) SetSavedState(ctx context.Context, transport, userJID string, state []byte) error {
	state = bytes.Clone(state)
	return db.updateLogin(ctx, transport, userJID, "set saved state", func(_ *bbolt.Bucket, l *Login) error {
		l.SavedState = state
		return nil
	})
}

// SetLoginSavedState is SetSavedState for the login loginID only: it
// returns ErrNotFound when the user's login is another account's now
// (one logged in since), whose state it must not become.
func (db *DB) SetLoginSavedState(ctx context.Context, transport, userJID, loginID string, state []byte) error {
	state = bytes.Clone(state)
	return db.updateLogin(ctx, transport, userJID, "set saved state", func(_ *bbolt.Bucket, l *Login) error {
		if l.LoginID != loginID {
			return fmt.Errorf("%w: login %s of %s on %s, whose login is %s now", ErrNotFound, loginID, userJID, transport, l.LoginID)
		}
		l.SavedState = state
		return nil
	})
}

// SetSeesPresence records whether the gateway may see the user's presence
// (Login.SeesPresence) and bumps Updated. It returns ErrNotFound when the
// login does not exist.
func (db *DB) SetSeesPresence(ctx context.Context, transport, userJID string, sees bool) error {
	return db.updateLogin(ctx, transport, userJID, "set presence subscription", func(_ *bbolt.Bucket, l *Login) error {
		l.SeesPresence = sees
		return nil
	})
}

// SetAvatarSharing records whether the user's XMPP avatar is shared as
// their profile picture on the network (Login.ShareAvatar) and the hash
// of the one last set there (Login.SharedAvatar), and bumps Updated. It
// returns ErrNotFound when the login does not exist.
func (db *DB) SetAvatarSharing(ctx context.Context, transport, userJID string, share bool, shared string) error {
	return db.updateLogin(ctx, transport, userJID, "set avatar sharing", func(_ *bbolt.Bucket, l *Login) error {
		l.ShareAvatar, l.SharedAvatar = share, shared
		return nil
	})
}

// SetLoginFeatures records the login's own features (Login.Features; nil:
// the transport's) and bumps Updated. It returns ErrNotFound when the
// login does not exist.
func (db *DB) SetLoginFeatures(ctx context.Context, transport, userJID string, features []byte) error {
	features = bytes.Clone(features)
	if len(features) == 0 {
		features = nil
	}
	return db.updateLogin(ctx, transport, userJID, "set login features", func(_ *bbolt.Bucket, l *Login) error {
		l.Features = features
		return nil
	})
}

// SetDataDir records the name of the login's folder (Login.DataDir; ""
// forgets it) and bumps Updated. It returns ErrNotFound when the login
// does not exist, and an error wrapping ErrInvalid when the folder is
// another login's.
func (db *DB) SetDataDir(ctx context.Context, transport, userJID, dir string) error {
	if err := checkDataDir(dir); err != nil {
		return err
	}
	return db.updateLogin(ctx, transport, userJID, "set login folder", func(lb *bbolt.Bucket, l *Login) error {
		if err := folderFree(lb, transport, userJID, dir); err != nil {
			return err
		}
		l.DataDir = dir
		return nil
	})
}

// folderFree returns an error wrapping ErrInvalid when another user's
// login on the transport (its logins are lb) has the folder dir: two
// logins in one folder would mix their network state.
func folderFree(lb *bbolt.Bucket, transport, userJID, dir string) error {
	if dir == "" {
		return nil
	}
	var owner string
	_ = lb.ForEach(func(k, v []byte) error {
		if string(k) == userJID || owner != "" {
			return nil
		}
		if o, err := decodeLogin(transport, string(k), v); err == nil && o.DataDir == dir {
			owner = o.UserJID
		}
		return nil
	})
	if owner != "" {
		return fmt.Errorf("%w: login folder %q on %s is already the folder of %s's login", ErrInvalid, dir, transport, owner)
	}
	return nil
}

// updateLogin changes one field of a stored login, read and written in
// one transaction so that no other field goes back to an older value.
// change may refuse with an error, before anything is written.
func (db *DB) updateLogin(ctx context.Context, transport, userJID, what string, change func(lb *bbolt.Bucket, l *Login) error) error {
	if err := checkLoginKey(transport, userJID); err != nil {
		return err
	}
	now := time.Now()
	tk, uk := []byte(transport), []byte(userJID)
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		lb := tx.Bucket(bLogins).Bucket(tk)
		var v []byte
		if lb != nil {
			v = lb.Get(uk)
		}
		if v == nil {
			return &cleanError{fmt.Errorf("%w: login of %s on %s", ErrNotFound, userJID, transport)}
		}
		l, err := decodeLogin(transport, userJID, v)
		if err != nil {
			return &cleanError{err}
		}
		if err := change(lb, &l); err != nil {
			return &cleanError{err}
		}
		l.Updated = now
		if err := lb.Put(uk, encodeLogin(l)); err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
		return nil
	})
}

// DeleteLogin deletes the login of userJID on transport and everything kept
// for its LoginID: puppets, message map, dedup keys, txns and pending
// outbox entries, and the user's room archives and the rooms they were
// told of (XEP-0077 <remove/> promises the user's data is gone).
// If another user of the same transport has a login with the same LoginID,
// that data is theirs too and is kept. The user is remembered as logged
// out (LoggedOut) until ForgetLoggedOut or their next PutLogin. Deleting
// an absent login is not an error, and remembers nothing.
func (db *DB) DeleteLogin(ctx context.Context, transport, userJID string) error {
	return db.deleteLogin(ctx, transport, userJID, false)
}

func (db *DB) deleteLogin(ctx context.Context, transport, userJID string, owe bool) error {
	if err := checkLoginKey(transport, userJID); err != nil {
		return err
	}
	tk, uk := []byte(transport), []byte(userJID)
	return db.submitBarrier(ctx, func(tx *bbolt.Tx) error {
		// The room archives are the user's own, whatever the login ID.
		if err := db.dropUserArchives(tx, transport, userJID); err != nil {
			return err
		}
		if err := dropUserAnnounced(tx, transport, userJID); err != nil {
			return err
		}
		if err := dropUserRoomRetention(tx, transport, userJID); err != nil {
			return err
		}
		lb := tx.Bucket(bLogins).Bucket(tk)
		if lb == nil {
			return nil
		}
		v := lb.Get(uk)
		if v == nil {
			return nil
		}
		old, decErr := decodeLogin(transport, userJID, v)
		if err := lb.Delete(uk); err != nil {
			return fmt.Errorf("store: delete login: %w", err)
		}
		if err := markLoggedOut(tx, transport, userJID, time.Now()); err != nil {
			return err
		}
		if decErr != nil {
			return nil // no LoginID to find the data by; the record at least is gone
		}
		if owe {
			if err := oweLogout(tx, old); err != nil {
				return err
			}
		}
		return dropLoginData(tx, transport, old.LoginID, userJID)
	})
}

// dropLoginData deletes everything kept under (transport, loginID) unless
// a login of another user than exceptUser still uses that LoginID.
func dropLoginData(tx *bbolt.Tx, transport, loginID, exceptUser string) error {
	if lb := tx.Bucket(bLogins).Bucket([]byte(transport)); lb != nil {
		inUse := false
		err := lb.ForEach(func(k, v []byte) error {
			if string(k) == exceptUser {
				return nil
			}
			if l, err := decodeLogin(transport, string(k), v); err == nil && l.LoginID == loginID {
				inUse = true
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: drop login data: %w", err)
		}
		if inUse {
			return nil
		}
	}
	if err := dropLoginExpiries(tx, transport, loginID); err != nil {
		return err
	}
	if tb := tx.Bucket(bData).Bucket([]byte(transport)); tb != nil {
		err := tb.DeleteBucket([]byte(loginID))
		if err != nil && !errors.Is(err, bbolt.ErrBucketNotFound) {
			return fmt.Errorf("store: drop login data: %w", err)
		}
	}
	ob := tx.Bucket(bOutbox).Bucket([]byte(transport))
	if ob == nil {
		return nil
	}
	var doomed [][]byte
	err := ob.ForEach(func(k, v []byte) error {
		if e, err := decodeOutbox(k, v); err == nil && e.LoginID == loginID {
			doomed = append(doomed, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: drop login outbox: %w", err)
	}
	// Deleted after the walk: deleting under a bbolt cursor can skip keys.
	for _, k := range doomed {
		if err := ob.Delete(k); err != nil {
			return fmt.Errorf("store: drop login outbox: %w", err)
		}
	}
	return nil
}

// loginBucket returns data/<transport>/<loginID>, or nil when absent.
func loginBucket(tx *bbolt.Tx, transport, loginID string) *bbolt.Bucket {
	tb := tx.Bucket(bData).Bucket([]byte(transport))
	if tb == nil {
		return nil
	}
	return tb.Bucket([]byte(loginID))
}

// loginBucketRW returns data/<transport>/<loginID>, creating it.
func loginBucketRW(tx *bbolt.Tx, transport, loginID string) (*bbolt.Bucket, error) {
	tb, err := tx.Bucket(bData).CreateBucketIfNotExists([]byte(transport))
	if err != nil {
		return nil, err
	}
	return tb.CreateBucketIfNotExists([]byte(loginID))
}

// sub returns child name of b, or nil when b or the child is absent.
func sub(b *bbolt.Bucket, name []byte) *bbolt.Bucket {
	if b == nil {
		return nil
	}
	return b.Bucket(name)
}
