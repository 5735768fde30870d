package bridge_test

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestOccupantIQ: IQs to an occupant's JID (room/nick) that have no
// handler of their own are answered as Prosody's MUC answers them, not
// by the contact path: from a resource not joined, not-acceptable; to a
// nick nobody holds, item-not-found; a member's version is the puppet's
// answer; a MAM query to a member is service-unavailable (an occupant
// keeps no archive). Before, each was the contact path's: a version from
// a resource not joined and of a nick nobody holds, bad-request for MAM.
func TestOccupantIQ(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	iq := func(c *xmpptest.Client, typ, nick, payload string) xmpptest.Stanza {
		t.Helper()
		st, err := c.IQ(ctxT(t), `<iq type='`+typ+`' to='`+room+`/`+nick+`'>`+payload+`</iq>`)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	const version = `<query xmlns='jabber:iq:version'/>`
	const mam = `<query xmlns='urn:xmpp:mam:2'/>`
	cond := func(st xmpptest.Stanza) string {
		if st.Err == nil {
			return st.Type
		}
		return st.Err.Condition
	}
	if got := iq(alice, "get", "Echo One", version); cond(got) != "not-acceptable" {
		t.Errorf("a member's version asked before joining: %s, want not-acceptable", got.XML)
	}
	join(t, alice, "a", "")
	if got := iq(alice, "get", "Echo One", version); got.Type != "result" || !strings.Contains(got.XML, "<name>") {
		t.Errorf("a member's version: %s, want the puppet's answer", got.XML)
	}
	if got := iq(alice, "get", "nobody", version); cond(got) != "item-not-found" {
		t.Errorf("the version of a nick nobody holds: %s, want item-not-found", got.XML)
	}
	if got := iq(alice, "set", "Echo One", mam); cond(got) != "service-unavailable" {
		t.Errorf("a MAM query to a member: %s, want service-unavailable", got.XML)
	}
}

// TestOwnOccupantIQ: an IQ to the user's own occupant JID goes on to
// the user's client, from that JID, and its answer back to the asker
// with the asker's id, as Prosody's MUC forwards an IQ to an occupant's
// real JID: a client resolving the caps of its own occupant gets its own
// features. Before, disco#info got the contact path's answer (a puppet's
// features at the user's own nick) and version the gateway's.
func TestOwnOccupantIQ(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := room + "/" + nick(join(t, alice, "a", "").self.From)
	for _, q := range []string{"http://jabber.org/protocol/disco#info", "jabber:iq:version"} {
		fwd, answer := askOwnOccupant(t, alice, self, `<iq type='get' id='own-1' to='`+self+`'><query xmlns='`+q+`'/></iq>`, "get", q)
		if fwd.From != self {
			t.Errorf("passed on from %q, want the occupant's JID %q", fwd.From, self)
		}
		if err := alice.SendRaw(ctxT(t), `<iq type='result' id='`+fwd.ID+`' to='`+self+`'><query xmlns='`+q+`'><identity category='client' type='pc' name='own-client'/></query></iq>`); err != nil {
			t.Fatal(err)
		}
		got := answer()
		if got.Type != "result" || got.From != self || got.ID != "own-1" || !strings.Contains(got.XML, "own-client") {
			t.Errorf("%s of the own occupant: %s, want the client's answer from %s", q, got.XML, self)
		}
	}
}

// askOwnOccupant sends iq, of type typ asking ns, from c to its own
// occupant self, and returns the IQ passed on to c and a wait for the
// answer to iq.
func askOwnOccupant(t *testing.T, c *xmpptest.Client, self, iq, typ, ns string) (xmpptest.Stanza, func() xmpptest.Stanza) {
	t.Helper()
	type answer struct {
		st  xmpptest.Stanza
		err error
	}
	done := make(chan answer, 1)
	ctx := ctxT(t)
	go func() {
		st, err := c.IQ(ctx, iq)
		done <- answer{st, err}
	}()
	fwd, err := c.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return xmpptest.IsIQ(st) && st.Type == typ && strings.Contains(st.XML, ns)
	})
	if err != nil {
		t.Fatalf("%s to the own occupant %s was not passed on to the client: %v", ns, self, err)
	}
	return fwd, func() xmpptest.Stanza {
		t.Helper()
		a := <-done
		if a.err != nil {
			t.Fatal(a.err)
		}
		return a.st
	}
}

// TestOwnOccupantIQError: the user's client's error answer to an IQ
// passed on from its own occupant JID reaches the asker as that error.
func TestOwnOccupantIQError(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := room + "/" + nick(join(t, alice, "a", "").self.From)
	fwd, answer := askOwnOccupant(t, alice, self, `<iq type='set' id='own-2' to='`+self+`'><query xmlns='urn:example:odd'/></iq>`, "set", "urn:example:odd")
	if err := alice.SendRaw(ctxT(t), `<iq type='error' id='`+fwd.ID+`' to='`+self+`'><error type='cancel'><feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`); err != nil {
		t.Fatal(err)
	}
	if got := answer(); got.Type != "error" || got.ID != "own-2" || got.Err == nil || got.Err.Condition != "feature-not-implemented" {
		t.Errorf("the client's error: %s, want feature-not-implemented from %s", got.XML, self)
	}
}

// TestOwnOccupantProfile: a vCard (XEP-0054) asked of the user's own
// occupant JID is answered as any occupant's, from the network's profile
// of the user (their member ID's); an XEP-0084 avatar asked of it is
// item-not-found only because the network has no picture of the user.
// Before, both were refused item-not-found ("your own profile is your
// server's"), so a client showed no vCard for the user's own nick.
func TestOwnOccupantProfile(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := room + "/" + nick(join(t, alice, "a", "").self.From)
	vc, err := alice.IQ(ctxT(t), `<iq type='get' to='`+self+`'><vCard xmlns='vcard-temp'/></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	if vc.Type != "result" || vc.From != self || !strings.Contains(vc.XML, "<FN>alice-echo</FN>") || !strings.Contains(vc.XML, "Echo ID: alice-echo") {
		t.Errorf("the own occupant's vCard: %s, want the network's profile of alice-echo from %s", vc.XML, self)
	}
	meta, err := alice.IQ(ctxT(t), `<iq type='get' to='`+self+`'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:avatar:metadata'/></pubsub></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Type != "error" || meta.Err == nil || meta.Err.Condition != "item-not-found" || !strings.Contains(meta.XML, "no avatar") {
		t.Errorf("the own occupant's avatar, the network having none: %s, want item-not-found saying so", meta.XML)
	}
}

// TestOwnOccupantProfilePicture: the vCard of the user's own occupant
// holds the picture the network has of the user: here their XMPP avatar,
// which the profile-picture command made their profile picture there.
func TestOwnOccupantProfilePicture(t *testing.T) {
	s, alice := privilegedAlice(t)
	raw(t, alice, `<presence type='subscribed' to='`+domain+`'/>`)
	s.logs.waitLog(t, "gateway_sees_presence=true", timeout)
	form, _ := command(t, alice, "profile-picture", "", "", nil)
	if done, _ := command(t, alice, "profile-picture", form.Command.SessionID, "", map[string]string{"share": "true"}); !strings.Contains(done.Notes(), "info: Your XMPP avatar is now your") {
		t.Fatalf("turning profile-picture on: %s", done.XML)
	}
	hash := setOwnVCard(t, alice, shadePNG(t, 0x33))
	mirrorPhoto(t, alice, "turned on", hash) // the network has it
	self := room + "/" + nick(join(t, alice, "a", "").self.From)
	vc, err := alice.IQ(ctxT(t), `<iq type='get' to='`+self+`'><vCard xmlns='vcard-temp'/></iq>`)
	m := binvalRe.FindStringSubmatch(vc.XML)
	if err != nil || vc.Type != "result" || m == nil {
		t.Fatalf("the own occupant's vCard: %v %s, want the user's picture", err, vc.XML)
	}
	img, _ := base64.StdEncoding.DecodeString(m[1])
	if sum := sha1.Sum(img); hex.EncodeToString(sum[:]) != hash {
		t.Errorf("the own occupant's picture is not the user's profile picture")
	}
}
