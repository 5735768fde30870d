package store

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Puppet is a remote contact as seen through one login.
type Puppet struct {
	Transport, LoginID, UserID string
	Name                       string
	Updated                    time.Time
}

func checkPuppetKey(transport, loginID, userID string) error {
	if err := checkPart("transport", transport, false); err != nil {
		return err
	}
	if err := checkPart("login ID", loginID, false); err != nil {
		return err
	}
	return checkPart("user ID", userID, false)
}

func decodePuppet(transport, loginID, userID string, v []byte) (Puppet, error) {
	d := newDec(v)
	p := Puppet{Transport: transport, LoginID: loginID, UserID: userID}
	p.Name = d.str()
	p.Updated = d.time()
	if d.err != nil {
		return Puppet{}, fmt.Errorf("store: puppet %s/%s/%s: %w", transport, loginID, userID, d.err)
	}
	return p, nil
}

// PutPuppets creates or replaces puppets, all in one transaction: either
// all are stored or none. A zero Updated is set to now.
func (db *DB) PutPuppets(ctx context.Context, ps []Puppet) error {
	if len(ps) == 0 {
		return nil
	}
	type rec struct {
		transport, loginID string
		key, val           []byte
	}
	now := time.Now()
	recs := make([]rec, len(ps))
	for i, p := range ps {
		if err := checkPuppetKey(p.Transport, p.LoginID, p.UserID); err != nil {
			return fmt.Errorf("puppet %d: %w", i, err)
		}
		if p.Updated.IsZero() {
			p.Updated = now
		}
		e := newEnc(len(p.Name) + 20)
		e.str(p.Name)
		e.time(p.Updated)
		recs[i] = rec{p.Transport, p.LoginID, []byte(p.UserID), e.b}
	}
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		for _, r := range recs {
			lb, err := loginBucketRW(tx, r.transport, r.loginID)
			if err != nil {
				return fmt.Errorf("store: put puppets: %w", err)
			}
			pb, err := lb.CreateBucketIfNotExists(bPuppets)
			if err != nil {
				return fmt.Errorf("store: put puppets: %w", err)
			}
			if err := pb.Put(r.key, r.val); err != nil {
				return fmt.Errorf("store: put puppets: %w", err)
			}
		}
		return nil
	})
}

// GetPuppet returns one puppet, or ErrNotFound.
func (db *DB) GetPuppet(transport, loginID, userID string) (Puppet, error) {
	if err := checkPuppetKey(transport, loginID, userID); err != nil {
		return Puppet{}, err
	}
	var p Puppet
	err := db.view(func(tx *bbolt.Tx) error {
		var v []byte
		if pb := sub(loginBucket(tx, transport, loginID), bPuppets); pb != nil {
			v = pb.Get([]byte(userID))
		}
		if v == nil {
			return fmt.Errorf("%w: puppet %s of login %s on %s", ErrNotFound, userID, loginID, transport)
		}
		var err error
		p, err = decodePuppet(transport, loginID, userID, v)
		return err
	})
	return p, err
}

// ListPuppets returns the puppets of one login, ordered by user ID.
func (db *DB) ListPuppets(transport, loginID string) ([]Puppet, error) {
	if err := checkPart("transport", transport, false); err != nil {
		return nil, err
	}
	if err := checkPart("login ID", loginID, false); err != nil {
		return nil, err
	}
	var out []Puppet
	err := db.view(func(tx *bbolt.Tx) error {
		pb := sub(loginBucket(tx, transport, loginID), bPuppets)
		if pb == nil {
			return nil
		}
		return pb.ForEach(func(k, v []byte) error {
			p, err := decodePuppet(transport, loginID, string(k), v)
			if err != nil {
				return err
			}
			out = append(out, p)
			return nil
		})
	})
	return out, err
}

// DeletePuppet deletes one puppet, with its avatar record; deleting an absent one is not an error.
func (db *DB) DeletePuppet(ctx context.Context, transport, loginID, userID string) error {
	if err := checkPuppetKey(transport, loginID, userID); err != nil {
		return err
	}
	key := []byte(userID)
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		lb := loginBucket(tx, transport, loginID)
		pb := sub(lb, bPuppets)
		if pb == nil {
			return nil
		}
		if err := pb.Delete(key); err != nil {
			return fmt.Errorf("store: delete puppet: %w", err)
		}
		return dropAvatar(lb, key)
	})
}

// DeletePuppets deletes puppets of one login, with their avatar records,
// all in one transaction; absent ones are not an error.
func (db *DB) DeletePuppets(ctx context.Context, transport, loginID string, userIDs []string) error {
	if len(userIDs) == 0 {
		return nil
	}
	keys := make([][]byte, len(userIDs))
	for i, id := range userIDs {
		if err := checkPuppetKey(transport, loginID, id); err != nil {
			return fmt.Errorf("puppet %d: %w", i, err)
		}
		keys[i] = []byte(id)
	}
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		lb := loginBucket(tx, transport, loginID)
		pb := sub(lb, bPuppets)
		if pb == nil {
			return nil
		}
		for _, k := range keys {
			if err := pb.Delete(k); err != nil {
				return fmt.Errorf("store: delete puppets: %w", err)
			}
			if err := dropAvatar(lb, k); err != nil {
				return err
			}
		}
		return nil
	})
}
