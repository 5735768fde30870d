package muc

import (
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	transportpb "passerelle.im/passerelle/plugins/proto"
)

const (
	room = "g1@wa.example.org"
	to   = "alice@example.org/phone"
)

// item reads a presence's muc#user item and status codes.
func item(t *testing.T, b []byte) (st *wire.Stanza, it *wire.Element, codes []string) {
	t.Helper()
	st, err := wire.Parse(string(b))
	if err != nil {
		t.Fatalf("built presence does not parse: %v\n%s", err, b)
	}
	x := st.Child(NSUser, "x")
	if x == nil {
		t.Fatalf("no muc#user x: %s", b)
	}
	it = x.Child("", "item")
	if it == nil {
		t.Fatalf("no item: %s", b)
	}
	for _, c := range x.Children {
		if c.XMLName.Local == "status" {
			codes = append(codes, c.Attr("code"))
		}
	}
	return st, it, codes
}

func TestMemberOccupant(t *testing.T) {
	cases := []struct {
		aff      transportpb.Affiliation
		role     transportpb.Role
		wantAff  string
		wantRole string
	}{
		{transportpb.Affiliation_AFFILIATION_OWNER, transportpb.Role_ROLE_MODERATOR, AffOwner, RoleModerator},
		{transportpb.Affiliation_AFFILIATION_ADMIN, transportpb.Role_ROLE_MODERATOR, AffAdmin, RoleModerator},
		{transportpb.Affiliation_AFFILIATION_MEMBER, transportpb.Role_ROLE_PARTICIPANT, AffMember, RoleParticipant},
		{transportpb.Affiliation_AFFILIATION_NONE, transportpb.Role_ROLE_VISITOR, AffNone, RoleVisitor},
		{transportpb.Affiliation_AFFILIATION_OUTCAST, transportpb.Role_ROLE_PARTICIPANT, AffOutcast, RoleParticipant},
		{transportpb.Affiliation(99), transportpb.Role(99), AffMember, RoleParticipant}, // a newer plugin's
	}
	for _, c := range cases {
		o := MemberOccupant(&transportpb.Member{UserId: "u", Affiliation: c.aff, Role: c.role}, "Bob", "u@wa.example.org")
		if o != (Occupant{Nick: "Bob", JID: "u@wa.example.org", Affiliation: c.wantAff, Role: c.wantRole}) {
			t.Errorf("%v/%v: %+v", c.aff, c.role, o)
		}
	}
	if o := MemberOccupant(nil, "n", ""); o.Affiliation != AffMember || o.Role != RoleParticipant {
		t.Errorf("nil member: %+v", o)
	}
}

func TestOccupantPresence(t *testing.T) {
	bob := Occupant{Nick: `Bob <"the' & builder>`, JID: "+331@wa.example.org", Affiliation: AffAdmin, Role: RoleModerator}
	st, it, codes := item(t, Presence{Room: room, To: to, Occupant: bob, Show: "away", Status: "busy\x00", ID: "p1"}.Bytes())
	if st.From() != room+"/"+bob.Nick || st.To() != to || st.Type() != "" || st.ID() != "p1" {
		t.Errorf("addresses: from %q to %q type %q", st.From(), st.To(), st.Type())
	}
	if it.Attr("affiliation") != AffAdmin || it.Attr("role") != RoleModerator || it.Attr("jid") != bob.JID || it.Attr("nick") != "" {
		t.Errorf("item %+v", it.Attrs)
	}
	if len(codes) != 0 {
		t.Errorf("codes %v", codes)
	}
	if s := st.Child("", "status"); s == nil || s.Text != "busy" {
		t.Errorf("status text: %+v", s)
	}
	// Without a JID, the item has none (never an empty attribute).
	_, it, _ = item(t, Presence{Room: room, To: to, Occupant: Occupant{Nick: "x"}}.Bytes())
	if it.Attr("jid") != "" || it.Attr("affiliation") != AffNone || it.Attr("role") != RoleNone {
		t.Errorf("bare occupant item %+v", it.Attrs)
	}
}

func TestSelfPresence(t *testing.T) {
	me := Occupant{Nick: "Alice", JID: to, Affiliation: AffOwner, Role: RoleModerator}
	st, it, codes := item(t, SelfPresence(room, to, me, false, "j1"))
	if !slices.Equal(codes, []string{"110", "100", "170"}) || it.Attr("jid") != to || st.ID() != "j1" {
		t.Errorf("self presence codes %v item %+v id %q", codes, it.Attrs, st.ID())
	}
	_, _, codes = item(t, SelfPresence(room, to, me, true, ""))
	if !slices.Equal(codes, []string{"110", "100", "170", "210"}) {
		t.Errorf("renamed self presence codes %v", codes)
	}
}

func TestNickChange(t *testing.T) {
	bob := Occupant{Nick: "Bob", JID: "b@wa.example.org", Affiliation: AffMember, Role: RoleParticipant}
	ps := NickChange(room, to, bob, "Robert", false)
	if len(ps) != 2 {
		t.Fatalf("%d presences", len(ps))
	}
	st, it, codes := item(t, ps[0])
	if st.Type() != "unavailable" || st.From() != room+"/Bob" || it.Attr("nick") != "Robert" || it.Attr("role") != RoleParticipant || !slices.Equal(codes, []string{"303"}) {
		t.Errorf("unavailable half: type %q from %q item %+v codes %v", st.Type(), st.From(), it.Attrs, codes)
	}
	st, it, codes = item(t, ps[1])
	if st.Type() != "" || st.From() != room+"/Robert" || it.Attr("nick") != "" || len(codes) != 0 {
		t.Errorf("available half: type %q from %q item %+v codes %v", st.Type(), st.From(), it.Attrs, codes)
	}
	ps = NickChange(room, to, bob, "Robert", true)
	_, _, c0 := item(t, ps[0])
	_, _, c1 := item(t, ps[1])
	if !slices.Equal(c0, []string{"110", "303"}) || !slices.Equal(c1, []string{"110"}) {
		t.Errorf("own nick change codes %v, %v", c0, c1)
	}
}

func TestRemoved(t *testing.T) {
	bob := Occupant{Nick: "Bob", JID: "b@wa.example.org", Affiliation: AffMember, Role: RoleParticipant}
	cases := []struct {
		r     Removal
		self  bool
		codes []string
		aff   string
	}{
		{Left, false, nil, AffNone}, // out of the group: no member
		{Left, true, []string{"110"}, AffNone},
		{Kicked, false, []string{"307"}, AffNone},
		{Kicked, true, []string{"110", "307"}, AffNone},
		{Banned, false, []string{"301"}, AffOutcast},
		{AffiliationChanged, false, []string{"321"}, AffNone},
		{MembersOnly, true, []string{"110", "322"}, AffNone},
		{Shutdown, true, []string{"110", "332"}, AffMember},
	}
	for _, c := range cases {
		st, it, codes := item(t, Removed(room, to, bob, c.r, "spam", c.self))
		if st.Type() != "unavailable" || it.Attr("role") != RoleNone || it.Attr("affiliation") != c.aff || !slices.Equal(codes, c.codes) {
			t.Errorf("removal %d self %v: type %q item %+v codes %v", c.r, c.self, st.Type(), it.Attrs, codes)
		}
		if r := it.Child("", "reason"); r == nil || r.Text != "spam" {
			t.Errorf("removal %d: reason %+v", c.r, r)
		}
	}
}

func TestDestroyed(t *testing.T) {
	me := Occupant{Nick: "me", JID: "u@example.org", Affiliation: AffMember, Role: RoleParticipant}
	st, it, codes := item(t, Destroyed(room, to, me, "-100123@tg.example.org", "became a supergroup"))
	if st.Type() != "unavailable" || it.Attr("role") != RoleNone || it.Attr("affiliation") != AffNone || !slices.Equal(codes, []string{"110"}) {
		t.Errorf("type %q item %+v codes %v", st.Type(), it.Attrs, codes)
	}
	if it.Child("", "reason") != nil {
		t.Error("the reason is the destroy's, not the item's")
	}
	d := st.Child(NSUser, "x").Child("", "destroy")
	if d == nil || d.Attr("jid") != "-100123@tg.example.org" {
		t.Fatalf("destroy %+v", d)
	}
	if r := d.Child("", "reason"); r == nil || r.Text != "became a supergroup" {
		t.Errorf("destroy's reason %+v", r)
	}
	// No venue: a destroy without jid.
	st, _, _ = item(t, Destroyed(room, to, me, "", ""))
	if d := st.Child(NSUser, "x").Child("", "destroy"); d == nil || d.Attr("jid") != "" || d.Child("", "reason") != nil {
		t.Errorf("destroy without a venue: %+v", d)
	}
}

func TestSubject(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 30, 0, 0, time.FixedZone("x", 3600))
	st, err := wire.Parse(string(Subject(room, to, "Bob", "oid-bob", "Echo room\x01", at, "s1")))
	if err != nil {
		t.Fatal(err)
	}
	if st.From() != room+"/Bob" || st.Type() != "groupchat" || st.ID() != "s1" {
		t.Errorf("subject message from %q type %q", st.From(), st.Type())
	}
	if s := st.Child("", "subject"); s == nil || s.Text != "Echo room" {
		t.Errorf("subject %+v", s)
	}
	if _, ok := st.Body(); ok {
		t.Error("a subject message has a body")
	}
	if d := st.Child(wire.NSDelay, "delay"); d == nil || d.Attr("stamp") != "2026-12-01T08:30:00Z" || d.Attr("from") != room {
		t.Errorf("delay %+v", d)
	}
	if o := st.Child(NSOccupantID, "occupant-id"); o == nil || o.Attr("id") != "oid-bob" {
		t.Errorf("subject set by an occupant without its occupant-id: %+v", o)
	}
	// No subject: an empty <subject/> from the room, no delay.
	st, err = wire.Parse(string(Subject(room, to, "", "", "", time.Time{}, "")))
	if err != nil {
		t.Fatal(err)
	}
	if st.From() != room || st.Child("", "subject") == nil || st.Child(wire.NSDelay, "delay") != nil || st.Child(NSOccupantID, "occupant-id") != nil {
		t.Errorf("empty subject: %s", Subject(room, to, "", "", "", time.Time{}, ""))
	}
}

func TestDiscoInfo(t *testing.T) {
	q, err := wire.Parse(`<iq xmlns="jabber:client" type="get" id="d1" from="` + to + `" to="` + room + `"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	w := wire.Result(q)
	WriteDiscoInfo(w, RoomInfo{Name: "Echo <room>", Subject: "hi", Occupants: 3, Archived: true})
	st, err := wire.Parse(string(w.Bytes()))
	if err != nil {
		t.Fatalf("%v\n%s", err, w.String())
	}
	query := st.Payload()
	if query == nil || query.XMLName.Space != wire.NSDiscoInfo {
		t.Fatalf("payload %+v", query)
	}
	id := query.Child("", "identity")
	if id == nil || id.Attr("category") != "conference" || id.Attr("type") != "text" || id.Attr("name") != "Echo <room>" {
		t.Errorf("identity %+v", id)
	}
	var feats []string
	for _, c := range query.Children {
		if c.XMLName.Local == "feature" {
			feats = append(feats, c.Attr("var"))
		}
	}
	// XEP-0045 §7.4: a room that reflects the sender's id says so
	// (clients match their reflection by it); XEP-0410 §3.3: a room that
	// answers self-pings itself says so.
	for _, f := range []string{NS, "muc_persistent", "muc_membersonly", "muc_nonanonymous", NSMAM, wire.NSSID, NSOccupantID,
		"http://jabber.org/protocol/muc#stable_id", "http://jabber.org/protocol/muc#self-ping-optimization"} {
		if !slices.Contains(feats, f) {
			t.Errorf("feature %s missing from %v", f, feats)
		}
	}
	fields := map[string]string{}
	x := query.Child(wire.NSData, "x")
	if x == nil || x.Attr("type") != "result" {
		t.Fatalf("no result form: %s", w.String())
	}
	for _, f := range x.Children {
		if v := f.Child("", "value"); v != nil {
			fields[f.Attr("var")] = v.Text
		}
	}
	want := map[string]string{"FORM_TYPE": NSRoomInfo, "muc#roomconfig_roomname": "Echo <room>", "muc#roominfo_subject": "hi",
		"muc#roominfo_occupants": "3", "muc#roominfo_subjectmod": "0", "muc#roomconfig_changesubject": "0"}
	for k, v := range want {
		if fields[k] != v {
			t.Errorf("field %s = %q, want %q", k, fields[k], v)
		}
	}
	if !slices.Contains(feats, "muc_unmoderated") {
		t.Errorf("unmoderated room's features: %v", feats)
	}
	// Not archived: no MAM feature; unknown occupants: no count.
	w = wire.Result(q)
	WriteDiscoInfo(w, RoomInfo{Name: "n", Occupants: -1, Moderated: true})
	if s := w.String(); strings.Contains(s, NSMAM) || strings.Contains(s, "roominfo_occupants") ||
		!strings.Contains(s, `"muc_moderated"`) || strings.Contains(s, "muc_unmoderated") {
		t.Errorf("unarchived moderated room: %s", s)
	}
}

// TestDiscoInfoReactions: XEP-0444 §2: a room where the user may react
// says so (urn:xmpp:reactions:0), and where the network keeps one
// reaction per user, says that limit (max_reactions_per_user, in a form
// of its own), so clients offer one; it said neither (found by review).
func TestDiscoInfoReactions(t *testing.T) {
	q, err := wire.Parse(`<iq type="get" id="d2" from="` + to + `" to="` + room + `"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	w := wire.Result(q)
	WriteDiscoInfo(w, RoomInfo{Name: "n", Occupants: 2, Reactions: true, MaxReactions: 1})
	st, err := wire.Parse(w.String())
	if err != nil {
		t.Fatal(err)
	}
	query := st.Payload()
	var feats []string
	rules := map[string]string{}
	for _, c := range query.Children {
		switch c.XMLName.Local {
		case "feature":
			feats = append(feats, c.Attr("var"))
		case "x":
			form := map[string]string{}
			for _, f := range c.Children {
				if v := f.Child("", "value"); v != nil {
					form[f.Attr("var")] = v.Text
				}
			}
			if form["FORM_TYPE"] == NSReactionRules {
				rules = form
			}
		}
	}
	if !slices.Contains(feats, "urn:xmpp:reactions:0") {
		t.Errorf("no reactions feature: %v", feats)
	}
	if rules["max_reactions_per_user"] != "1" {
		t.Errorf("want max_reactions_per_user 1 in a restrictions form, got %v", rules)
	}
	// No reactions (a channel's reader): neither.
	w = wire.Result(q)
	WriteDiscoInfo(w, RoomInfo{Name: "n", Occupants: 2, MaxReactions: 1})
	if s := w.String(); strings.Contains(s, "urn:xmpp:reactions:0") {
		t.Errorf("a room without reactions: %s", s)
	}
}

// TestOccupantAvailability: an occupant's show and status are in its
// available presences (a join's self-presence, a nick change's second
// half), not in its unavailable ones.
func TestOccupantAvailability(t *testing.T) {
	o := Occupant{Nick: "Al", JID: "alice@example.org", Affiliation: AffMember, Role: RoleParticipant, Show: "away", Status: "lunch"}
	for _, b := range [][]byte{SelfPresence(room, to, o, false, ""), NickChange(room, to, o, "Al2", true)[1]} {
		st, _, _ := item(t, b)
		if sh := st.Child("", "show"); sh == nil || sh.Text != "away" {
			t.Errorf("no show away: %s", b)
		}
		if s := st.Child("", "status"); s == nil || s.Text != "lunch" {
			t.Errorf("no status: %s", b)
		}
	}
	for _, b := range [][]byte{Removed(room, to, o, Left, "", true), NickChange(room, to, o, "Al2", true)[0]} {
		if st, _, _ := item(t, b); st.Child("", "show") != nil || st.Child("", "status") != nil {
			t.Errorf("an unavailable presence with the occupant's availability: %s", b)
		}
	}
}

// TestPresencePhotoKnownNone: an occupant known to have no avatar has an
// empty XEP-0153 <photo/>, which makes clients drop the picture they
// hold; an occupant whose avatar is not known has no element, and a
// leaving one none either. Before, a member who removed their picture
// kept it in every client (no element at all).
func TestPresencePhotoKnownNone(t *testing.T) {
	bob := Occupant{Nick: "Bob", JID: "b@wa.example.org", Affiliation: AffMember, Role: RoleParticipant, NoPhoto: true}
	st, _, _ := item(t, Presence{Room: room, To: to, Occupant: bob}.Bytes())
	x := st.Child(NSVCardUpdate, "x")
	if x == nil || x.Child("", "photo") == nil || x.Child("", "photo").Text != "" {
		t.Errorf("no empty photo for an occupant known to have none: %+v", st.Children)
	}
	st, _, _ = item(t, Presence{Room: room, To: to, Occupant: bob, Unavailable: true}.Bytes())
	if st.Child(NSVCardUpdate, "x") != nil {
		t.Error("a photo on an unavailable presence")
	}
	bob.NoPhoto = false
	st, _, _ = item(t, Presence{Room: room, To: to, Occupant: bob}.Bytes())
	if st.Child(NSVCardUpdate, "x") != nil {
		t.Error("a photo element for an occupant whose avatar is not known")
	}
}
