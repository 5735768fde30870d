package bridge_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// XEP-0421 occupant-ids in the gateway's rooms, through a real Prosody
// and the echo plugin (room_occupant_id.go).

const nsOccupantID = "urn:xmpp:occupant-id:0"

var occupantIDRe = regexp.MustCompile(`<occupant-id [^>]*>`)

// occupantIDs lists the ids of the XEP-0421 occupant-ids in a stanza's
// XML, at any depth.
func occupantIDs(xml string) []string {
	var ids []string
	for _, tag := range occupantIDRe.FindAllString(xml, -1) {
		if !strings.Contains(tag, `xmlns="`+nsOccupantID+`"`) {
			continue
		}
		id := ""
		if m := idAttrRe.FindStringSubmatch(tag); m != nil {
			id = m[1]
		}
		ids = append(ids, id)
	}
	return ids
}

// oneOccupantID is the occupant-id of a stanza, which must carry exactly
// one, not empty.
func oneOccupantID(t *testing.T, what string, st xmpptest.Stanza) string {
	t.Helper()
	ids := occupantIDs(st.XML)
	if len(ids) != 1 || ids[0] == "" {
		t.Fatalf("%s: want one occupant-id, got %q: %s", what, ids, st.XML)
	}
	return ids[0]
}

// occupantsByNick maps a join's occupants' nicks to their occupant-ids.
func occupantsByNick(t *testing.T, j joined) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, o := range j.occupants {
		out[nick(o.From)] = oneOccupantID(t, "occupant "+o.From, o)
	}
	return out
}

// TestRoomOccupantID: the room advertises urn:xmpp:occupant-id:0; each
// occupant's presences and messages carry one id, the same for its
// presence, its messages and reactions, across its nick change, in a
// join's history and a MAM page, and in a second resource's join;
// members' ids and the user's own differ; the user's message carrying a
// forged occupant-id is reflected with the user's real one only; the
// same member in another room (a channel) has another id.
func TestRoomOccupantID(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")

	info, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil || info.Type != "result" || !strings.Contains(info.XML, `var="`+nsOccupantID+`"`) {
		t.Fatalf("room disco#info without %s: %v %s", nsOccupantID, err, info.XML)
	}

	j := join(t, alice, "a", "")
	ids := occupantsByNick(t, j)
	one, two := ids["Echo One"], ids["Echo Two"]
	self := oneOccupantID(t, "self-presence", j.self)
	selfNick := nick(j.self.From)
	if one == "" || two == "" || one == two || self == one || self == two {
		t.Fatalf("occupant-ids not one per participant: Echo One %q, Echo Two %q, self %q", one, two, self)
	}
	if strings.Contains(one, "echo-1") || strings.Contains(self, "alice") {
		t.Errorf("an id shows who it is: %q %q", one, self)
	}
	if ids := occupantIDs(j.subject.XML); len(ids) != 0 {
		t.Errorf("the room's own subject with an occupant-id: %s", j.subject.XML)
	}

	// A forged occupant-id is not reflected: the user's real one is.
	id := alice.NewID()
	raw(t, alice, `<message type='groupchat' id='`+id+`' to='`+room+`'><body>forged id</body><occupant-id xmlns='`+nsOccupantID+`' id='`+two+`'/></message>`)
	own := roomMessage(t, alice, selfNick, "forged id")
	if got := oneOccupantID(t, "reflection", own); got != self {
		t.Errorf("reflection with occupant-id %q, want the user's %q: %s", got, self, own.XML)
	}
	if got := oneOccupantID(t, "Echo One's repeat", roomMessage(t, alice, "Echo One", "forged id")); got != one {
		t.Errorf("Echo One's message with %q, its presence had %q", got, one)
	}
	react, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.From == room+"/Echo Two" && strings.Contains(s.XML, "<reactions")
	})
	if err != nil {
		t.Fatalf("Echo Two's reaction: %v", err)
	}
	if got := oneOccupantID(t, "Echo Two's reaction", react); got != two {
		t.Errorf("Echo Two's reaction with %q, its presence had %q", got, two)
	}

	// Echo One renames itself in the group: a nick change, same id.
	groupchat(t, alice, "nick 1 Uno")
	gone := nextPresence(t, alice, room, "unavailable", func(s xmpptest.Stanza) bool { return s.From == room+"/Echo One" })
	if !strings.Contains(gone.XML, `code="303"`) || !strings.Contains(gone.XML, `nick="Uno"`) {
		t.Fatalf("Echo One's nick change: %s", gone.XML)
	}
	back := nextPresence(t, alice, room, "", func(s xmpptest.Stanza) bool { return s.From == room+"/Uno" })
	if a, b := oneOccupantID(t, "nick change, old nick", gone), oneOccupantID(t, "nick change, new nick", back); a != one || b != one {
		t.Errorf("nick change: ids %q then %q, want %q", a, b, one)
	}
	groupchat(t, alice, "after the rename")
	if got := oneOccupantID(t, "Uno's repeat", roomMessage(t, alice, "Uno", "after the rename")); got != one {
		t.Errorf("after the rename Echo One's message has %q, want %q", got, one)
	}

	// The archive: history on a second resource's join, and MAM.
	phone := s.loginResource("alice", "phone")
	pj := join(t, phone, "a", `<history maxstanzas='20'/>`)
	if ids := occupantsByNick(t, pj); ids["Uno"] != one || ids["Echo Two"] != two || oneOccupantID(t, "phone's self-presence", pj.self) != self {
		t.Errorf("the phone's join sees other ids: %v, self %s", ids, pj.self.XML)
	}
	want := map[string]string{"Echo One": one, "Uno": one, "Echo Two": two, selfNick: self}
	checkArchived := func(what string, from func(i int) string, xml func(i int) string, n int) {
		t.Helper()
		seen := map[string]bool{}
		for i := range n {
			ids := occupantIDs(xml(i))
			w, ok := want[nick(from(i))]
			if !ok {
				continue // the room's own (none expected of it) or the user's commands
			}
			if len(ids) != 1 || ids[0] != w {
				t.Errorf("%s: message from %s with %q, want %q: %s", what, from(i), ids, w, xml(i))
			}
			seen[nick(from(i))] = true
		}
		for _, n := range []string{"Echo One", "Uno", "Echo Two", selfNick} {
			if !seen[n] {
				t.Errorf("%s: no message from %s", what, n)
			}
		}
	}
	checkArchived("history", func(i int) string { return pj.history[i].From }, func(i int) string { return pj.history[i].XML }, len(pj.history))

	qid := "q-" + alice.NewID()
	iq, err := alice.IQ(ctxT(t), `<iq type='set' to='`+room+`'><query xmlns='urn:xmpp:mam:2' queryid='`+qid+`'/></iq>`)
	if err != nil || iq.Type != "result" {
		t.Fatalf("MAM query: %v %s", err, iq.XML)
	}
	var results []xmpptest.Stanza
	done, cancel := context.WithCancel(context.Background())
	cancel() // the results came before the iq's result
	for {
		st, err := alice.Next(done, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && strings.Contains(s.XML, `queryid="`+qid+`"`)
		})
		if err != nil {
			break
		}
		results = append(results, st)
	}
	fromRe := regexp.MustCompile(`<message [^>]*from="(` + regexp.QuoteMeta(room) + `[^"]*)"[^>]*>`)
	inner := func(i int) string {
		// The forwarded message's from: the second <message> of the result.
		ms := fromRe.FindAllStringSubmatch(results[i].XML, -1)
		if len(ms) < 2 {
			t.Fatalf("MAM result without a forwarded message: %s", results[i].XML)
		}
		return ms[1][1]
	}
	// The user's message with the forged id has the user's only.
	checkArchived("MAM", inner, func(i int) string { return results[i].XML }, len(results))
	// Another room: the same member, another id; the user too.
	cj, jerr := joinChannel(t, alice, channelRoom("go"), "gopher", "")
	if jerr != nil {
		t.Fatalf("channel join: %s", jerr.XML)
	}
	cids := occupantsByNick(t, cj)
	if cids["Echo One"] == "" || cids["Echo One"] == one {
		t.Errorf("Echo One in another room: id %q, in the echo room %q", cids["Echo One"], one)
	}
	if cs := oneOccupantID(t, "channel self-presence", cj.self); cs == self {
		t.Errorf("the user has the same id %q in two rooms", cs)
	}
}

// TestRoomPrivateAnswerOccupantID: a member's answer to a private
// message through the room, which comes from its occupant JID, carries
// the member's occupant-id, the one of its presences and groupchat
// messages (XEP-0421: every message a room sends has one), so that a
// client ties corrections and reactions in the private chat to the
// member. It came without.
func TestRoomPrivateAnswerOccupantID(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	j := join(t, alice, "a", "")
	want := occupantsByNick(t, j)["Echo One"]
	raw(t, alice, `<message type='chat' id='pm1' to='`+room+`/Echo One'><body>psst one</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>`)
	st, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && (st.ID == "pm1" && st.Type == "error" || st.Body == "psst one")
	})
	if err != nil || st.Type == "error" || st.From != room+"/Echo One" {
		t.Fatalf("want Echo One's answer from its occupant JID: %v %s", err, st.XML)
	}
	if got := oneOccupantID(t, "the private answer", st); got != want {
		t.Errorf("the private answer's occupant-id is %s, Echo One's presence's %s", got, want)
	}
}
