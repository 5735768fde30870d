package whatsapp

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// WhatsApp names more and more people by a LID, a hidden per-user ID,
// and gives their phone number beside it only sometimes. A contact is
// "+<phone>" whenever the device store's LID map knows the number; until
// then "lid-<LID>", a stable ID. When the number of a LID the gateway has
// shown becomes known, the session emits an IdentityEvent: the host moves
// the contact (roster entry, chat, message map) to the phone ID.

// exposedName is the file, in the login's folder, of the LIDs shown as
// "lid-" IDs: the move must be announced after a restart too.
const exposedName = "passerelle-lids.json"

// identities is the session's idMap.
type identities struct {
	lids store.LIDStore // nil: no store (tests)
	dir  string         // "" = nothing kept on disk
	// moved is called when a shown LID's phone number became known.
	moved func(oldID string, pn types.JID)

	mu      sync.Mutex
	exposed map[string]bool // LID users shown as lid-<user>
}

func newIdentities(lids store.LIDStore, dir string, moved func(string, types.JID), log *slog.Logger) *identities {
	id := &identities{lids: lids, dir: dir, moved: moved, exposed: map[string]bool{}}
	if dir != "" {
		users, _ := sdk.LoadStateFile[[]string](filepath.Join(dir, exposedName), "a contact shown by LID whose number is learnt is not moved to it", log)
		for _, u := range users {
			id.exposed[u] = true
		}
	}
	return id
}

// userID is "+<phone>" for a phone JID or a LID whose phone is known,
// else "lid-<LID>" (remembered as shown).
func (id *identities) userID(jid types.JID) string {
	if jid.Server != types.HiddenUserServer {
		return plainUserID(jid)
	}
	if pn := id.phoneOf(jid); !pn.IsEmpty() {
		id.learn(jid, pn)
		return plainUserID(pn)
	}
	id.mu.Lock()
	if !id.exposed[jid.User] {
		id.exposed[jid.User] = true
		id.saveLocked()
	}
	id.mu.Unlock()
	return lidPrefix + jid.User
}

// phoneOf is the phone JID of a LID, from the store; empty when unknown.
func (id *identities) phoneOf(lid types.JID) types.JID {
	if id.lids == nil {
		return types.EmptyJID
	}
	pn, err := id.lids.GetPNForLID(context.Background(), lid.ToNonAD())
	if err != nil {
		return types.EmptyJID
	}
	return pn
}

// lidOf is the LID of a phone JID, from the store; empty when unknown.
func (id *identities) lidOf(pn types.JID) types.JID {
	if id.lids == nil {
		return types.EmptyJID
	}
	lid, err := id.lids.GetLIDForPN(context.Background(), pn.ToNonAD())
	if err != nil {
		return types.EmptyJID
	}
	return lid
}

// voterIDs is jid's user ID, as userID gives it, and the other ID the
// same person may have been counted under in a poll: their "lid-<LID>"
// when the first is their phone number and their LID is known, else "".
func (id *identities) voterIDs(jid types.JID) (voter, alias string) {
	voter = id.userID(jid)
	if !strings.HasPrefix(voter, "+") {
		return voter, ""
	}
	lid := jid
	if jid.Server != types.HiddenUserServer {
		lid = id.lidOf(jid)
	}
	if lid.IsEmpty() {
		return voter, ""
	}
	return voter, lidPrefix + lid.User
}

// phoneID is the phone ID of a "lid-<LID>" ID whose number the store
// knows, else uid itself. Unlike userID it tells the host nothing (no
// move): the poll cache calls it with its lock held.
func (id *identities) phoneID(uid string) string {
	lid, ok := strings.CutPrefix(uid, lidPrefix)
	if !ok {
		return uid
	}
	if pn := id.phoneOf(types.NewJID(lid, types.HiddenUserServer)); !pn.IsEmpty() {
		return plainUserID(pn)
	}
	return uid
}

// learn notes that a and b are the same person (a message's sender and
// its SenderAlt, in either order): a LID shown before moves to the
// phone ID.
func (id *identities) learn(a, b types.JID) {
	lid, pn := a, b
	if lid.Server != types.HiddenUserServer {
		lid, pn = b, a
	}
	if lid.Server != types.HiddenUserServer || pn.Server != types.DefaultUserServer {
		return
	}
	if id.lids != nil {
		// Kept in the store, so that the LID (as a chat, say) resolves
		// from now on; whatsmeow keeps most mappings itself, not all.
		if known := id.phoneOf(lid); known.IsEmpty() {
			_ = id.lids.PutLIDMapping(context.Background(), lid.ToNonAD(), pn.ToNonAD())
		}
	}
	id.mu.Lock()
	was := id.exposed[lid.User]
	delete(id.exposed, lid.User)
	id.mu.Unlock()
	if !was {
		return
	}
	// Moved first, then forgotten on disk: a crash between the two moves
	// it again at the next start (a move is idempotent), where the other
	// order left the chat's pins, timer and polls under the LID for good.
	if id.moved != nil {
		id.moved(lidPrefix+lid.User, pn.ToNonAD())
	}
	id.mu.Lock()
	id.saveLocked()
	id.mu.Unlock()
}

// saveLocked writes the shown LIDs; a failure costs at worst the move
// made again after a restart.
func (id *identities) saveLocked() {
	if id.dir == "" {
		return
	}
	users := make([]string, 0, len(id.exposed))
	for u := range id.exposed {
		users = append(users, u)
	}
	slices.Sort(users)
	b, _ := json.Marshal(users)
	_ = writeExposed.get()(filepath.Join(id.dir, exposedName), b)
}

// writeExposed replaces the file of the LIDs shown: synced, file and
// folder, as the crash ordering of the moves needs (a LID forgotten on
// disk only once moved). A rename alone may leave an empty file after a
// power cut: every LID shown forgotten, and their moves with them.
var writeExposed = newSetting(sdk.WriteFileDurably) // a setting: tests fail it

// identityEvent is the move of oldID to the phone JID pn.
func identityEvent(oldID string, pn types.JID, name string) *pb.Event {
	id := plainUserID(pn)
	return &pb.Event{Payload: &pb.Event_Identity{Identity: &pb.IdentityEvent{
		OldUserId: oldID,
		Contact:   &pb.Contact{UserId: id, Phone: id, Name: name},
	}}}
}
