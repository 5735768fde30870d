package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomModeration: the user deletes a member's message for everyone
// (XEP-0425) by its stanza-id. The network deletes it (and says so, as
// Telegram does); the joined resource gets one moderation notice with
// the reason, in both versions of XEP-0425, never a second retraction,
// and the archive keeps a tombstone. A message the gateway does not
// know, and a request without <retract/>, get clear errors.
func TestRoomModeration(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	j := join(t, alice, "a", "")
	info, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil || !strings.Contains(info.XML, `var="urn:xmpp:message-moderate:1"`) || !strings.Contains(info.XML, `var="urn:xmpp:message-moderate:0"`) {
		t.Fatalf("the room does not say it can be moderated, in both versions: %v %s", err, info.XML)
	}
	groupchat(t, alice, "buy cheap pills")
	sid := stanzaID(t, roomMessage(t, alice, "Echo One", "buy cheap pills"))

	mod, err := alice.IQ(ctxT(t), `<iq type='set' to='`+room+`'><moderate id='`+sid+`' xmlns='urn:xmpp:message-moderate:1'>`+
		`<retract xmlns='urn:xmpp:message-retract:1'/><reason>spam</reason></moderate></iq>`)
	if err != nil || mod.Type != "result" {
		t.Fatalf("moderation: %v %s", err, mod.XML)
	}
	checkModerated(t, alice, sid, room+"/"+nick(j.self.From), oneOccupantID(t, "self-presence", j.self), "spam")
	checkTombstone(t, alice, sid)

	for body, cond := range map[string]string{
		`<moderate id='no-such-id' xmlns='urn:xmpp:message-moderate:1'><retract xmlns='urn:xmpp:message-retract:1'/></moderate>`: "item-not-found",
		`<moderate id='` + sid + `' xmlns='urn:xmpp:message-moderate:1'/>`:                                                       "bad-request",
	} {
		st, err := alice.IQ(ctxT(t), `<iq type='set' to='`+room+`'>`+body+`</iq>`)
		if err != nil || st.Err == nil || st.Err.Condition != cond {
			t.Errorf("%s: want %s, got %v %s", body, cond, err, st.XML)
		}
	}
}

// TestRoomModerationV0: a client that speaks XEP-0425 before 0.3 (an
// <apply-to/> of XEP-0422 around <moderate/>, as Gajim and Converse.js
// send) moderates the same way: the network deletes the message, every
// joined resource gets the notice in both versions, and the archive
// keeps a tombstone. Its errors are version 1's; a request that is not
// a moderation of version 0 deletes nothing.
func TestRoomModerationV0(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	j := join(t, alice, "a", "")
	phone := s.loginResource("alice", "phone")
	join(t, phone, "a", `<history maxstanzas='0'/>`)
	groupchat(t, alice, "buy cheap pills")
	sid := stanzaID(t, roomMessage(t, alice, "Echo One", "buy cheap pills"))

	v0 := func(id, inner string) string {
		return `<iq type='set' to='` + room + `'><apply-to id='` + id + `' xmlns='urn:xmpp:fasten:0'>` + inner + `</apply-to></iq>`
	}
	for req, cond := range map[string]string{
		v0("no-such-id", `<moderate xmlns='urn:xmpp:message-moderate:0'><retract xmlns='urn:xmpp:message-retract:0'/></moderate>`): "item-not-found",
		v0(sid, `<moderate xmlns='urn:xmpp:message-moderate:0'><reason>spam</reason></moderate>`):                                  "bad-request",
		v0("", `<moderate xmlns='urn:xmpp:message-moderate:0'><retract xmlns='urn:xmpp:message-retract:0'/></moderate>`):           "bad-request",
		// Version 1's retraction in version 0's request: no <retract/> it knows.
		v0(sid, `<moderate xmlns='urn:xmpp:message-moderate:0'><retract xmlns='urn:xmpp:message-retract:1'/></moderate>`): "bad-request",
		// Another fastening is no moderation.
		v0(sid, `<moderate xmlns='urn:xmpp:message-moderate:1'><retract xmlns='urn:xmpp:message-retract:1'/></moderate>`): "",
	} {
		st, err := alice.IQ(ctxT(t), req)
		if err != nil || st.Err == nil || (cond != "" && st.Err.Condition != cond) {
			t.Errorf("%s: want error %q, got %v %s", req, cond, err, st.XML)
		}
	}
	if b := archivedBody(t, alice, sid); b != "buy cheap pills" {
		t.Fatalf("after the refused requests the archive has %q, want the message", b)
	}

	mod, err := alice.IQ(ctxT(t), v0(sid, `<moderate xmlns='urn:xmpp:message-moderate:0'><retract xmlns='urn:xmpp:message-retract:0'/><reason>spam</reason></moderate>`))
	if err != nil || mod.Type != "result" {
		t.Fatalf("moderation: %v %s", err, mod.XML)
	}
	by, byID := room+"/"+nick(j.self.From), oneOccupantID(t, "self-presence", j.self)
	checkModerated(t, alice, sid, by, byID, "spam")
	checkModerated(t, phone, sid, by, byID, "spam")
	checkTombstone(t, alice, sid)
	s.logs.waitLog(t, `msg="message moderated" transport=echo user=alice@localhost room=`+room+` stanza_id=`+sid, timeout)
}

// checkModerated reads c's stanzas up to Echo One's echo of a message
// "after" (which it sends) and wants exactly one notice of the
// moderation of sid by by with reason, in XEP-0425 version 1
// (<retract><moderated/><reason/></retract>, the moderated naming the
// moderator's occupant-id byID) and version 0 (<apply-to>
// <moderated><retract/><reason/></moderated></apply-to>) both.
func checkModerated(t *testing.T, c *xmpptest.Client, sid, by, byID, reason string) {
	t.Helper()
	isNotice := func(st xmpptest.Stanza) bool {
		return st.Name == "message" && strings.Contains(st.XML, `<moderated`) && strings.Contains(st.XML, `id="`+sid+`"`)
	}
	// The first notice, then a barrier for any second: a message sent
	// after the retraction may go through the network before it (the
	// two are separate commands), so the barrier alone could come first.
	first, err := c.Next(ctxT(t), isNotice)
	if err != nil {
		t.Fatalf("no notice of the moderation of %s: %v", sid, err)
	}
	groupchat(t, c, "after")
	notices := map[string]xmpptest.Stanza{first.ID: first} // by stanza id: Next may look at one twice
	if _, err := c.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		if isNotice(st) {
			notices[st.ID] = st
		}
		return st.Name == "message" && nick(st.From) == "Echo One" && st.Body == "after"
	}); err != nil {
		t.Fatal(err)
	}
	if len(notices) != 1 {
		t.Fatalf("%d notices of the moderation, want 1: %v", len(notices), notices)
	}
	var n xmpptest.Stanza
	for _, st := range notices {
		n = st
	}
	var m moderationNotice
	if err := n.Unmarshal(&m); err != nil {
		t.Fatalf("moderation notice %s: %v", n.XML, err)
	}
	v1, v0 := m.Retract, m.ApplyTo
	if n.From != room ||
		v1.ID != sid || v1.Moderated == nil || v1.Moderated.By != by || v1.Moderated.OccupantID.ID != byID || v1.Reason != reason ||
		v0.ID != sid || v0.Moderated == nil || v0.Moderated.By != by || v0.Moderated.Retract == nil || v0.Moderated.Reason != reason {
		t.Fatalf("moderation notice of %s by %s (%s) not in both versions: %s", sid, by, reason, n.XML)
	}
}

// moderationNotice is a moderation notice in both versions of XEP-0425.
type moderationNotice struct {
	Retract struct {
		ID        string `xml:"id,attr"`
		Moderated *struct {
			By         string `xml:"by,attr"`
			OccupantID struct {
				ID string `xml:"id,attr"`
			} `xml:"urn:xmpp:occupant-id:0 occupant-id"`
		} `xml:"urn:xmpp:message-moderate:1 moderated"`
		Reason string `xml:"reason"`
	} `xml:"urn:xmpp:message-retract:1 retract"`
	ApplyTo struct {
		ID        string `xml:"id,attr"`
		Moderated *struct {
			By      string    `xml:"by,attr"`
			Retract *struct{} `xml:"urn:xmpp:message-retract:0 retract"`
			Reason  string    `xml:"reason"`
		} `xml:"urn:xmpp:message-moderate:0 moderated"`
	} `xml:"urn:xmpp:fasten:0 apply-to"`
}

// checkTombstone wants the archive to hold the tombstone of sid.
func checkTombstone(t *testing.T, c *xmpptest.Client, sid string) {
	t.Helper()
	if b := archivedBody(t, c, sid); b != "This message was retracted." {
		t.Errorf("the archive has %q for the moderated message, want its tombstone", b)
	}
}

// archivedBody is the body the room's archive holds for sid.
func archivedBody(t *testing.T, c *xmpptest.Client, sid string) string {
	t.Helper()
	for _, m := range queryMAM(t, c, room, "").msgs {
		if m.Result.ID == sid {
			return m.Result.Forwarded.Message.Body
		}
	}
	t.Fatalf("the archive has no message %s", sid)
	return ""
}

// TestRoomModerationArchived: the moderation notice is archived, as
// XEP-0424 has a retraction be ("MUST store the retraction message"): a
// resource that was away when the user moderated a message (the phone,
// joining later) learns of it from the room's history, and MAM after
// the moderated message has it; the live notice carries its stanza-id.
// Before, only the joined resources got it: the phone kept showing the
// message it had (found by review).
func TestRoomModerationArchived(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	groupchat(t, alice, "buy cheap pills")
	sid := stanzaID(t, roomMessage(t, alice, "Echo One", "buy cheap pills"))
	if mod, err := alice.IQ(ctxT(t), `<iq type='set' to='`+room+`'><moderate id='`+sid+`' xmlns='urn:xmpp:message-moderate:1'>`+
		`<retract xmlns='urn:xmpp:message-retract:1'/><reason>spam</reason></moderate></iq>`); err != nil || mod.Type != "result" {
		t.Fatalf("moderation: %v %s", err, mod.XML)
	}
	notice, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && strings.Contains(st.XML, `<retract xmlns="urn:xmpp:message-retract:1" id="`+sid+`"`)
	})
	if err != nil {
		t.Fatalf("no moderation notice: %v", err)
	}
	noticeSID := stanzaID(t, notice)

	j := join(t, s.loginResource("alice", "phone"), "a", `<history maxstanzas='10'/>`)
	found := false
	for _, h := range j.history {
		found = found || strings.Contains(h.XML, `<retract xmlns="urn:xmpp:message-retract:1" id="`+sid+`"`)
	}
	if !found {
		t.Errorf("the phone's history lacks the moderation of %s: %v", sid, j.history)
	}
	page := queryMAM(t, alice, room, `<set xmlns='http://jabber.org/protocol/rsm'><after>`+sid+`</after></set>`)
	found = false
	for _, m := range page.msgs {
		found = found || m.Result.ID == noticeSID
	}
	if !found {
		t.Errorf("MAM after the moderated message lacks the notice %s", noticeSID)
	}
}

// TestNetworkDeleteOfAnothersMessage: the network's delete of a member's
// message by someone else (a group admin's delete for everyone; here the
// user's own, from a plain XEP-0424 retraction the echo group takes from
// any member) is a moderation notice from the room naming who removed it
// (XEP-0425), and the archive keeps a tombstone. It came as a
// retraction from the remover's own occupant, which clients drop as not
// the author's.
func TestNetworkDeleteOfAnothersMessage(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	j := join(t, alice, "a", "")
	groupchat(t, alice, "buy cheap pills")
	sid := stanzaID(t, roomMessage(t, alice, "Echo One", "buy cheap pills"))
	if err := alice.SendRaw(ctxT(t), `<message type='groupchat' id='x1' to='`+room+`'><retract xmlns='urn:xmpp:message-retract:1' id='`+sid+`'/></message>`); err != nil {
		t.Fatal(err)
	}
	checkModerated(t, alice, sid, room+"/"+nick(j.self.From), oneOccupantID(t, "self-presence", j.self), "")
	checkTombstone(t, alice, sid)
}
