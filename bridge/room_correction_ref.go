package bridge

import (
	"bytes"
	"context"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/store"
)

// Conversations names a corrected room message by its correction from
// then on, the user's own correction and a member's: its MessageParser
// gives the message the correction's id as its remote id and, in older
// releases (newer ones stopped, for reactions' sake), the correction's
// stanza-id as its server id; its reactions, replies, retractions and
// displayed markers name it so. The correction's id is recorded as a
// one-to-one chat's is (keepCorrection); its stanza-id names its archived
// stanza, whose <replace/> names the message it corrected.

// roomCorrectionRef finds the message corrected by the room's archived
// correction stanzaID names.
func (t *transport) roomCorrectionRef(ctx context.Context, loginID, chatID, stanzaID string) (store.MessageRef, bool) {
	s := t.sessionOf(loginID)
	if s == nil || s.rooms.get(chatID) == nil {
		return store.MessageRef{}, false
	}
	m, err := t.db.LookupArchived(ctx, t.roomKey(s.user, chatID), stanzaID)
	if err != nil || !bytes.Contains(m.Payload, []byte(nsCorrect)) {
		return store.MessageRef{}, false
	}
	st, err := wire.Parse(string(m.Payload))
	if err != nil {
		return store.MessageRef{}, false
	}
	c := st.Child(nsCorrect, "replace")
	if c == nil || c.Attr("id") == "" || c.Attr("id") == stanzaID {
		return store.MessageRef{}, false
	}
	// The message a correction names is known by its id (the user's
	// origin-id, the gateway's id of a member's message) or, after an
	// earlier correction, by that one's (correction_chain.go).
	ref, err := t.lookupXMPP(ctx, loginID, chatID, c.Attr("id"))
	return ref, err == nil
}
