package bridge

import (
	"bytes"
	"encoding/xml"
	"sync"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/store"
)

// XEP-0421 occupant-ids in the rooms. Every presence and message of an
// occupant carries one, derived, never stored (muc.OccupantID): from the
// room's JID and the real JID the room shows for the occupant, a puppet's
// JID (one per network user ID) or the user's own bare JID for the
// user's own occupant. The archive keeps each message's sender JID, so a
// join's history and a MAM page derive the same ids as live messages,
// after any restart, and a member's nick change changes none.
//
// A contact that moves to a new ID (identity.go) stays the same person:
// the new puppet JID derives its ids from the first JID of its chain of
// moves (the store's occupant aliases), and so do the archived messages
// of the IDs moved away, so a member's id is the same before and after
// its move, live and archived.
//
// An occupant-id a client puts in its own message is not the room's: the
// reflection leaves it out (reflect), and any archived copy still
// holding one (a reflection archived before the room had ids) loses it
// when sent (roomCopy, mamResult).

// memberOccupantIDLocked is the occupant-id of member id (selfKey: the
// user) in r. A member with no puppet JID (an ID no JID can hold) gets
// one from its ID, kept apart from any JID by a NUL.
func (r *room) memberOccupantIDLocked(s *session, id string) string {
	if id == selfKey {
		return s.selfOccupantID(r)
	}
	if id == "" {
		return ""
	}
	return muc.OccupantID(r.jid, s.aliases.realJID(s.t, s.t.memberRealJID(id)))
}

// memberRealJID is what a member's occupant-ids derive from, its own: its
// puppet's JID, or for an ID no JID can hold the ID, kept apart from any
// JID by a NUL.
func (t *transport) memberRealJID(id string) string {
	if pj, err := t.puppetJID(id); err == nil {
		return pj.String()
	}
	return "\x00" + id
}

// occupantAliases are a login's occupant aliases (store.OccupantAliases)
// by real JID: a puppet's JID -> what its occupant-ids derive from (a
// memberRealJID). Read from the store on first use, then kept up to date
// by the moves (moved).
type occupantAliases struct {
	loginID string
	mu      sync.Mutex
	loaded  bool
	m       map[string]string
}

// realJID is what the occupant-ids of real JID j (a puppet's, the user's,
// a memberRealJID) derive from: j, or the first JID of its moves.
func (a *occupantAliases) realJID(t *transport, j string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.loaded {
		ids, err := t.db.OccupantAliases(t.name, a.loginID)
		if err != nil {
			// Read again next time; meanwhile the ids are the JIDs' own.
			t.log.Error("occupant aliases not read", "login", a.loginID, "err", err)
			return j
		}
		a.m = make(map[string]string, len(ids))
		for id, first := range ids {
			a.m[t.memberRealJID(id)] = t.memberRealJID(first)
		}
		a.loaded = true
	}
	if first, ok := a.m[j]; ok {
		return first
	}
	return j
}

// moved records that newID's occupant-ids now derive from alias's (a
// store.MoveResult's; "" for newID's own).
func (a *occupantAliases) moved(t *transport, newID, alias string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.loaded {
		return // read from the store, move included, on first use
	}
	if alias == "" {
		delete(a.m, t.memberRealJID(newID))
		return
	}
	a.m[t.memberRealJID(newID)] = t.memberRealJID(alias)
}

// selfOccupantID is the occupant-id of the user's own occupant in r.
func (s *session) selfOccupantID(r *room) string { return muc.OccupantID(r.jid, s.user) }

// archivedOccupantID is the occupant-id of an archived message's sender;
// "" for one the room itself sent (no nick). a are the room's user's
// occupant aliases (nil: none).
func (t *transport) archivedOccupantID(a *occupantAliases, roomJID string, m *store.ArchivedMessage) string {
	if m.Nick == "" {
		return ""
	}
	if a == nil {
		return muc.OccupantID(roomJID, m.SenderJID)
	}
	return muc.OccupantID(roomJID, a.realJID(t, m.SenderJID))
}

// isOccupantID reports whether e is an <occupant-id/> of XEP-0421.
func isOccupantID(e *wire.Element) bool {
	return e.XMLName.Space == muc.NSOccupantID && e.XMLName.Local == "occupant-id"
}

var nsOccupantIDBytes = []byte(muc.NSOccupantID)

// stripOccupantIDs returns a stanza without the <occupant-id/> children
// of its top element; the stanza itself (not a copy) when it has none or
// does not parse.
func stripOccupantIDs(stanza []byte) []byte {
	if !bytes.Contains(stanza, nsOccupantIDBytes) {
		return stanza // the usual case: nothing to parse
	}
	d := xml.NewDecoder(bytes.NewReader(stanza))
	var cuts [][2]int64
	depth, start := 0, int64(-1)
	for {
		off := d.InputOffset()
		tok, err := d.RawToken()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 2 && t.Name.Space == "" && t.Name.Local == "occupant-id" && xmlnsOf(t) == muc.NSOccupantID {
				start = off
			}
		case xml.EndElement:
			if depth == 2 && start >= 0 {
				cuts = append(cuts, [2]int64{start, d.InputOffset()})
				start = -1
			}
			depth--
		}
	}
	if len(cuts) == 0 {
		return stanza
	}
	out := make([]byte, 0, len(stanza))
	last := int64(0)
	for _, c := range cuts {
		out = append(out, stanza[last:c[0]]...)
		last = c[1]
	}
	return append(out, stanza[last:]...)
}

// xmlnsOf is the default namespace an element declares, "" for none.
func xmlnsOf(e xml.StartElement) string {
	for _, a := range e.Attr {
		if a.Name.Space == "" && a.Name.Local == "xmlns" {
			return a.Value
		}
	}
	return ""
}

// appendChildren returns msg, a serialized <message/>, with extra added as
// its last children, in a new slice (msg may be an archived payload).
func appendChildren(msg, extra []byte) []byte {
	if len(extra) == 0 {
		return msg
	}
	out := make([]byte, 0, len(msg)+len(extra)+len("</message>"))
	if end := []byte("</message>"); bytes.HasSuffix(msg, end) {
		out = append(out, msg[:len(msg)-len(end)]...)
		return append(append(out, extra...), end...)
	}
	if bytes.HasSuffix(msg, []byte("/>")) { // a message with no children
		out = append(append(out, msg[:len(msg)-2]...), '>')
		return append(append(out, extra...), "</message>"...)
	}
	return msg
}

// withOccupantID is an archived message as forwarded in a MAM result:
// with its sender's occupant-id, the only one.
func withOccupantID(msg []byte, id string) []byte {
	msg = stripOccupantIDs(msg)
	if id == "" {
		return msg
	}
	var w wire.Writer
	muc.WriteOccupantID(&w, id)
	return appendChildren(msg, w.Bytes())
}
