package store

import (
	"fmt"

	"go.etcd.io/bbolt"
)

// bAliases is the per-login bucket of occupant aliases: i/<user ID> ->
// the user ID its XEP-0421 occupant-ids are derived from. The bridge
// derives a room occupant's id from its puppet's JID; a contact that
// moves to a new ID (MoveContact) must keep its id, so the new ID, and
// every ID of a chain of moves A->B->C, name the first one, A. The IDs
// moved away keep theirs too: their archived messages carry their own
// JIDs. Kept apart from the puppets, as a room member need not be one
// (a contact) and a moved-away ID has none; never pruned (one short
// record per move), gone with the login. A store written before the
// bucket existed has none: no contact had moved, or its ids changed
// then.
var bAliases = []byte("i")

// OccupantMove says what MoveContact does with the occupant-ids of the
// contact's new ID (see bAliases).
type OccupantMove int

const (
	// OccupantAuto: the new ID takes the old one's occupant-ids when the
	// store knew the old ID (a puppet, an alias) or knows nothing of the
	// new one (no puppet, no alias): an event naming an unknown old ID
	// changes no known new one's ids.
	OccupantAuto OccupantMove = iota
	// OccupantFollow: the caller knew the old ID (a room member): the
	// new ID takes its occupant-ids.
	OccupantFollow
	// OccupantKeep: the caller shows the new ID already (a room member):
	// it keeps its own occupant-ids.
	OccupantKeep
)

// aliasOf is the occupant alias of userID in lb; "" for none.
func aliasOf(lb *bbolt.Bucket, userID string) (string, error) {
	ab := sub(lb, bAliases)
	if ab == nil {
		return "", nil
	}
	v := ab.Get([]byte(userID))
	if v == nil {
		return "", nil
	}
	d := newDec(v)
	a := d.str()
	if d.err != nil {
		return "", fmt.Errorf("store: occupant alias of %s: %w", userID, d.err)
	}
	return a, nil
}

// moveAlias records, in a MoveContact, that newID's occupant-ids are
// derived from oldID's (its alias, or oldID itself), when inherit says
// they are. It returns the alias newID has ("" for its own).
func moveAlias(lb *bbolt.Bucket, oldID, newID string, inherit bool) (string, error) {
	root, err := aliasOf(lb, oldID)
	if err != nil {
		return "", err
	}
	if !inherit {
		return aliasOf(lb, newID)
	}
	if root == "" {
		root = oldID
	}
	ab, err := lb.CreateBucketIfNotExists(bAliases)
	if err != nil {
		return "", err
	}
	if root == newID { // back to the first ID: its own again
		return "", ab.Delete([]byte(newID))
	}
	e := newEnc(len(root) + 2)
	e.str(root)
	return root, ab.Put([]byte(newID), e.b)
}

// OccupantAliases returns the occupant aliases of one login: each user ID
// whose occupant-ids are derived from another's, to that other ID (see
// bAliases). Empty (nil) when no contact moved.
func (db *DB) OccupantAliases(transport, loginID string) (map[string]string, error) {
	if err := checkPart("transport", transport, false); err != nil {
		return nil, err
	}
	if err := checkPart("login ID", loginID, false); err != nil {
		return nil, err
	}
	var out map[string]string
	err := db.view(func(tx *bbolt.Tx) error {
		ab := sub(loginBucket(tx, transport, loginID), bAliases)
		if ab == nil {
			return nil
		}
		return ab.ForEach(func(k, v []byte) error {
			d := newDec(v)
			a := d.str()
			if d.err != nil {
				return fmt.Errorf("store: occupant alias of %s: %w", k, d.err)
			}
			if out == nil {
				out = map[string]string{}
			}
			out[string(k)] = a
			return nil
		})
	})
	return out, err
}
