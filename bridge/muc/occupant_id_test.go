package muc

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
)

// TestOccupantID: the id is the same for the same participant of the same
// room, whenever derived (a fixed value: a change would break every id
// clients keep), another for another participant or room, URL-safe, and
// does not show the participant's JID or user ID.
func TestOccupantID(t *testing.T) {
	const bob, carol = "+331@wa.example.org", "+332@wa.example.org"
	id := OccupantID(room, bob)
	if id != OccupantID(room, bob) {
		t.Fatal("not deterministic")
	}
	if id != "rQkS5ahavrShYNpb2uUrUEvw" {
		t.Errorf("the derivation changed: %q (every client's ids would)", id)
	}
	if len(id) != 24 || strings.ContainsAny(id, "+/=") {
		t.Errorf("not 24 characters of base64url: %q", id)
	}
	if strings.Contains(id, "331") {
		t.Errorf("the user ID shows in %q", id)
	}
	for name, other := range map[string]string{
		"another participant": OccupantID(room, carol),
		"another room":        OccupantID("g2@wa.example.org", bob),
		"parts run together":  OccupantID(room+"\x00"+"x", bob),
	} {
		if other == id {
			t.Errorf("%s: the same id %q", name, id)
		}
	}
	if OccupantID(room, "") != "" {
		t.Error("an id for no participant")
	}
}

// TestOccupantIDInPresences: every presence of an occupant with an id
// carries it once, at the stanza's top level, whatever the presence
// (joined, self, nick change, removal, with a photo); none without one.
func TestOccupantIDInPresences(t *testing.T) {
	bob := Occupant{Nick: "Bob", JID: "b@wa.example.org", Affiliation: AffMember, Role: RoleParticipant, Photo: "abc", OccupantID: "oid-1"}
	all := [][]byte{Presence{Room: room, To: to, Occupant: bob}.Bytes(), SelfPresence(room, to, bob, true, ""),
		Removed(room, to, bob, Kicked, "rude", false)}
	all = append(all, NickChange(room, to, bob, "Robert", false)...)
	for _, b := range all {
		st, _, _ := item(t, b)
		var n int
		for _, c := range st.Children {
			if c.XMLName.Space == NSOccupantID && c.XMLName.Local == "occupant-id" {
				n++
				if c.Attr("id") != "oid-1" {
					t.Errorf("id %q: %s", c.Attr("id"), b)
				}
			}
		}
		if n != 1 {
			t.Errorf("%d occupant-ids: %s", n, b)
		}
	}
	st, _, _ := item(t, Presence{Room: room, To: to, Occupant: bob}.Bytes())
	if x := st.Child(NSVCardUpdate, "x"); x == nil || x.Child("", "photo") == nil {
		t.Errorf("the photo is lost: %+v", st.Children)
	}
	bob.OccupantID = ""
	if b := (Presence{Room: room, To: to, Occupant: bob}).Bytes(); strings.Contains(string(b), NSOccupantID) {
		t.Errorf("an occupant-id without one: %s", b)
	}
	var w wire.Writer
	WriteOccupantID(&w, "")
	if len(w.Bytes()) != 0 {
		t.Error("an empty occupant-id written")
	}
}
