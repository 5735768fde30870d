package muc

import (
	"crypto/sha256"
	"encoding/base64"

	"passerelle.im/passerelle/bridge/wire"
)

// NSOccupantID is XEP-0421's occupant identifiers: every presence and
// message of an occupant carries an id that stays the occupant's across
// nick changes, which clients use to tie a correction (XEP-0308), a
// retraction, reactions (XEP-0444) and an avatar to their sender.
const NSOccupantID = "urn:xmpp:occupant-id:0"

// occupantIDDomain keeps these hashes apart from any other hash of the
// same JIDs. Changing it changes every id clients know.
const occupantIDDomain = "passerelle occupant-id v1"

// OccupantID is the XEP-0421 id of the participant whose real JID is
// realJID (a puppet's JID, the user's own bare JID for the self
// occupant) in the room roomJID: base64url of a SHA-256 over both, so
// derived again the same after a restart or from an archived message's
// sender, never stored; another in another room, and not the network's
// user ID in clear. The rooms are non-anonymous (the real JID is in every
// presence), so a keyless hash reveals nothing more. "" when realJID is.
func OccupantID(roomJID, realJID string) string {
	if realJID == "" {
		return ""
	}
	h := sha256.New()
	// A NUL is in no JID: the three parts cannot run into each other.
	h.Write([]byte(occupantIDDomain + "\x00" + roomJID + "\x00" + realJID))
	sum := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:18])
}

// WriteOccupantID writes <occupant-id xmlns='urn:xmpp:occupant-id:0'
// id='…'/> into w; nothing when id is "".
func WriteOccupantID(w *wire.Writer, id string) {
	if id != "" {
		w.Start("occupant-id", NSOccupantID).Attr("id", id).End()
	}
}
