package bridge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"passerelle.im/passerelle/store"
)

// XEP-0308 (1.1 on) has every correction name the original message's id;
// clients before it (Conversations before 2.6.1, converse.js of its time,
// Profanity in rooms until 2026) name the previous correction's, and
// Conversations names a corrected message by its last correction's id
// in its reactions, replies and markers. All are taken: a correction the
// network took (the user's) or sent (a contact's, in a one-to-one chat)
// is recorded, beside the txns, as the original's remote ID under each
// of its ids, so that what names it reaches the original (lookupXMPP).
// Like the txns, the record ages out with the message map
// (PruneMessages).

// correctionKey is the txn key a correction's id is recorded under:
// prefixed apart from the txns themselves, per chat, hashed to fit the
// store's key limit.
func correctionKey(chatID, id string) string {
	h := sha256.Sum256([]byte(chatID + "\x00" + id))
	return "correction:" + hex.EncodeToString(h[:16])
}

// keepCorrection records a correction of the message original under
// ids: the user's origin-id and stanza id, or the id the gateway gave a
// contact's correction (chatOut.edit, chatOut.caption).
func (t *transport) keepCorrection(ctx context.Context, loginID, chatID string, original store.MessageRef, ids ...string) {
	for _, id := range ids {
		if id == "" {
			continue
		}
		if err := t.db.PutTxn(context.WithoutCancel(ctx), t.name, loginID, correctionKey(chatID, id), original.RemoteID); err != nil {
			t.log.Warn("a correction's id not recorded: a later correction naming it is not found", "chat", chatID, "err", err)
		}
	}
}

// correctedOriginal is the message a correction recorded under id (the
// user's or a contact's: keepCorrection) corrected: what names that
// correction (a later correction from an older client, a reaction, a
// reply, a marker) is about that message.
func (t *transport) correctedOriginal(loginID, chatID, id string) (store.MessageRef, error) {
	remote, err := t.db.GetTxn(t.name, loginID, correctionKey(chatID, id))
	if err != nil {
		return store.MessageRef{}, err
	}
	return t.db.LookupRemote(t.name, loginID, chatID, remote)
}
