package bridge_test

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// cmdResponse is an XEP-0050 command answer, as far as the tests look.
type cmdResponse = xmpptest.CommandResponse

// command sends one ad-hoc command request; fields are submitted as a form.
func command(t *testing.T, c *xmpptest.Client, node, sid, action string, fields map[string]string) (cmdResponse, xmpptest.Stanza) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r, st, err := c.Command(ctx, domain, node, sid, action, fields)
	if err != nil {
		t.Fatal(err)
	}
	return r, st
}

type rosterItem = xmpptest.RosterItem

// roster fetches the user's roster as a client does.
func roster(t *testing.T, c *xmpptest.Client) map[string]rosterItem {
	t.Helper()
	r, err := c.Roster(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// waitRoster polls the roster until ok says it is as expected.
func waitRoster(t *testing.T, c *xmpptest.Client, what string, ok func(map[string]rosterItem) bool) map[string]rosterItem {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := roster(t, c)
		if ok(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("roster never %s: %v", what, r)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func nextPresence(t *testing.T, c *xmpptest.Client, from, typ string, match func(xmpptest.Stanza) bool) xmpptest.Stanza {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	st, err := c.Next(ctx, func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && bareJID(s.From) == from && s.Type == typ && (match == nil || match(s))
	})
	if err != nil {
		t.Fatalf("no presence type=%q from %s: %v", typ, from, err)
	}
	return st
}

// TestAdhocLoginWithCode: the multi-step login through ad-hoc commands,
// wrong code then right code; then, with XEP-0356, the contacts in the
// roster with names and group, their presence and last-seen, a rename and
// a removal on the network side, a vCard, XEP-0100, status, and admin
// commands refused to a non-admin.
func TestAdhocLoginWithCode(t *testing.T) {
	s := newStack(t, stackOptions{privileged: true})
	alice := s.user("alice")
	s.waitGateway(alice)
	ctx := ctxT(t)
	s.logs.waitLog(t, "privileges granted by the server", timeout)

	items, err := alice.IQ(ctx, `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/></iq>`)
	if err != nil || !strings.Contains(items.XML, `node="login"`) || !strings.Contains(items.XML, `node="status"`) {
		t.Fatalf("command list: %v %s", err, items.XML)
	}
	if strings.Contains(items.XML, "admin-") {
		t.Errorf("admin commands listed to a non-admin: %s", items.XML)
	}
	for _, node := range []string{"logout", "relogin", "sync-contacts", "leave-group"} {
		if strings.Contains(items.XML, `node="`+node+`"`) {
			t.Errorf("%s listed to a user without a login (it can only fail): %s", node, items.XML)
		}
	}

	r, _ := command(t, alice, "login", "", "", nil)
	if typ, _, ok := r.Field("username"); r.Command.Status != "executing" || !ok || typ != "text-single" {
		t.Fatalf("first stage: %s", r.XML)
	}
	sid := r.Command.SessionID
	r, _ = command(t, alice, "login", sid, "next", map[string]string{"username": "alice+code"})
	if _, _, ok := r.Field("code"); !ok || r.Command.Status != "executing" {
		t.Fatalf("code stage: %s", r.XML)
	}
	r, _ = command(t, alice, "login", sid, "next", map[string]string{"code": "1234"})
	if _, _, ok := r.Field("code"); !ok || !strings.Contains(r.Notes(), "error: Wrong code") {
		t.Fatalf("wrong code must ask again with the plugin's error: %s", r.XML)
	}
	r, _ = command(t, alice, "login", sid, "next", map[string]string{"code": "0000"})
	if r.Command.Status != "completed" || !strings.Contains(r.Notes(), "logged in") {
		t.Fatalf("right code: %s", r.XML)
	}

	// The gateway shows itself online.
	nextPresence(t, alice, domain, "", nil)
	if items, err := alice.IQ(ctx, `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/></iq>`); err != nil || !strings.Contains(items.XML, `node="logout"`) {
		t.Errorf("logged in, the command list lacks logout: %v %s", err, items.XML)
	}

	rost := waitRoster(t, alice, "held the three echo contacts", func(r map[string]rosterItem) bool {
		return r["echo-1@"+domain].Name == "Echo One" && r["echo-2@"+domain].Name == "Echo Two" && r["echo-3@"+domain].Name == "Echo Three"
	})
	for _, id := range []string{"echo-1", "echo-2", "echo-3"} {
		it := rost[id+"@"+domain]
		if len(it.Groups) != 1 || it.Groups[0] != "Echo" || it.Sub != "both" {
			t.Errorf("roster item %s: %+v, want group Echo and subscription both", id, it)
		}
	}
	p := nextPresence(t, alice, "echo-2@"+domain, "", func(s xmpptest.Stanza) bool { return strings.Contains(s.XML, "urn:xmpp:idle:1") })
	if !strings.Contains(p.XML, "<show>away</show>") || !strings.Contains(p.XML, "Back soon") {
		t.Errorf("echo-2 presence: %s", p.XML)
	}
	// Echo One has an avatar: its presence carries the XEP-0153 hash.
	nextPresence(t, alice, "echo-1@"+domain, "", has("vcard-temp:x:update"))

	// Network-side changes reach the roster, once each.
	echoOK(t, alice, "rename 1 Uno", timeout)
	sendChat(t, alice, "echo-3@"+domain, "leave 3")
	waitRoster(t, alice, "showed the rename and the removal", func(r map[string]rosterItem) bool {
		_, three := r["echo-3@"+domain]
		return r["echo-1@"+domain].Name == "Uno" && !three && len(r) == 2 // echo-1 and echo-2, nothing duplicated
	})

	vc, err := alice.IQ(ctx, `<iq type='get' to='echo-1@`+domain+`'><vCard xmlns='vcard-temp'/></iq>`)
	if err != nil || vc.Type != "result" || !strings.Contains(vc.XML, "<FN>Uno</FN>") || !strings.Contains(vc.XML, "<BINVAL>") {
		t.Errorf("vCard: %v %s", err, vc.XML)
	}

	// XEP-0084: the avatar through the contact's PEP nodes, announced by
	// an event, the same image as in the vCard.
	ev := next2(t, alice, "echo-1@"+domain, "urn:xmpp:avatar:metadata")
	meta, err := alice.IQ(ctx, `<iq type='get' to='echo-1@`+domain+`'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:avatar:metadata'/></pubsub></iq>`)
	if err != nil || meta.Type != "result" || !strings.Contains(meta.XML, `type="image/png"`) {
		t.Fatalf("avatar metadata: %v %s", err, meta.XML)
	}
	data, err := alice.IQ(ctx, `<iq type='get' to='echo-1@`+domain+`'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:avatar:data'/></pubsub></iq>`)
	if err != nil || data.Type != "result" {
		t.Fatalf("avatar data: %v %s", err, data.XML)
	}
	var d struct {
		Item struct {
			ID   string `xml:"id,attr"`
			Data string `xml:"data"`
		} `xml:"pubsub>items>item"`
	}
	if err := data.Unmarshal(&d); err != nil {
		t.Fatal(err)
	}
	img, err := base64.StdEncoding.DecodeString(d.Item.Data)
	sum := sha1.Sum(img)
	if err != nil || hex.EncodeToString(sum[:]) != d.Item.ID || !strings.Contains(ev.XML, d.Item.ID) || !strings.Contains(vc.XML, d.Item.Data) {
		t.Fatalf("avatar: id %s, event %s", d.Item.ID, ev.XML)
	}
	none, err := alice.IQ(ctx, `<iq type='get' to='echo-2@`+domain+`'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:avatar:data'/></pubsub></iq>`)
	if err != nil || none.Err == nil || none.Err.Condition != "item-not-found" {
		t.Errorf("no avatar: want item-not-found, got %v %s", err, none.XML)
	}

	gw, err := alice.IQ(ctx, `<iq type='get' to='`+domain+`'><query xmlns='jabber:iq:gateway'/></iq>`)
	if err != nil || !strings.Contains(gw.XML, "<prompt>Any name</prompt>") {
		t.Errorf("gateway prompt: %v %s", err, gw.XML)
	}
	gw, err = alice.IQ(ctx, `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:gateway'><prompt>+33612345678</prompt></query></iq>`)
	if err != nil || !strings.Contains(gw.XML, "<jid>+33612345678@"+domain+"</jid>") {
		t.Errorf("gateway translation: %v %s", err, gw.XML)
	}

	r, _ = command(t, alice, "status", "", "", nil)
	if !strings.Contains(r.Notes(), "connected") || !strings.Contains(r.Notes(), "alice+code") {
		t.Errorf("status: %s", r.XML)
	}
	_, st := command(t, alice, "admin-users", "", "", nil)
	if st.Err == nil || st.Err.Condition != "forbidden" {
		t.Errorf("admin command by a non-admin: %s", st.XML)
	}

	// Logging out takes the contacts out of the roster.
	r, _ = command(t, alice, "logout", "", "", nil)
	if r.Command.Status != "completed" {
		t.Fatalf("logout: %s", r.XML)
	}
	waitRoster(t, alice, "lost the echo contacts", func(r map[string]rosterItem) bool {
		for j := range r {
			if strings.HasSuffix(j, "@"+domain) {
				return false
			}
		}
		return true
	})
}

// TestAdhocQRAndCancel: a QR login shows the code (image and text),
// re-sends it when it rotates, and completes by itself; a second login
// while one runs is refused; cancel works.
func TestAdhocQRAndCancel(t *testing.T) {
	s := newStack(t, stackOptions{httpUpload: true})
	bob := s.user("bob")
	s.waitGateway(bob)

	r, _ := command(t, bob, "login", "", "", nil)
	first := r.Command.SessionID
	_, st := command(t, bob, "login", "", "", nil)
	if st.Err == nil || st.Err.Condition != "conflict" {
		t.Fatalf("second concurrent login: want conflict, got %s", st.XML)
	}
	r, _ = command(t, bob, "login", first, "cancel", nil)
	if r.Command.Status != "canceled" {
		t.Fatalf("cancel: %s", r.XML)
	}

	r, _ = command(t, bob, "login", "", "", nil)
	sid := r.Command.SessionID
	r, _ = command(t, bob, "login", sid, "next", map[string]string{"username": "bob+qr"})
	_, vals, ok := r.Field("code")
	if !ok || len(vals) != 1 || vals[0] != "echo://login/bob+qr/1" || !strings.Contains(r.XML, "image/png") || !strings.Contains(r.XML, "urn:xmpp:bob") {
		t.Fatalf("QR stage: %s", r.XML)
	}
	// The rotated code comes as a chat message with the image.
	rot := nextMessage(t, bob, domain, timeout)
	for !strings.Contains(rot.Body, "echo://login/bob+qr/2") {
		rot = nextMessage(t, bob, domain, timeout)
	}
	if !strings.Contains(rot.XML, `type="image/png"`) || !strings.Contains(rot.XML, "jabber:x:oob") || !strings.Contains(rot.Body, "login-qr.png") {
		t.Errorf("rotated QR without an image and its link: %s", rot.XML)
	}
	r, _ = command(t, bob, "login", sid, "next", map[string]string{})
	if r.Command.Status != "completed" || !strings.Contains(r.Notes(), "bob+qr") {
		t.Fatalf("after the scan: %s", r.XML)
	}
	echoOK(t, bob, "logged in by QR", timeout)
}

// TestChatLoginWithoutPrivileges: the chat fallback runs the same flow;
// without XEP-0356 the contacts ask for subscription (with their names)
// and the user's subscriptions to them are approved.
func TestChatLoginWithoutPrivileges(t *testing.T) {
	s := newStack(t, stackOptions{})
	carol := s.user("carol")
	s.waitGateway(carol)
	say := func(text string) { sendChat(t, carol, domain, text) }
	expect := func(want string) xmpptest.Stanza {
		t.Helper()
		for {
			m := nextMessage(t, carol, domain, timeout)
			if strings.Contains(m.Body, want) {
				return m
			}
		}
	}
	say("help")
	expect("login")
	say("login")
	expect("Username?")
	say("carol+code")
	expect("Code?")
	say("9999")
	if m := expect("Code?"); !strings.Contains(m.Body, "Wrong code") {
		t.Fatalf("wrong code: %s", m.Body)
	}
	say("0000")
	expect("You are logged in")

	for _, n := range []struct{ id, name string }{{"echo-1", "Echo One"}, {"echo-2", "Echo Two"}, {"echo-3", "Echo Three"}} {
		p := nextPresence(t, carol, n.id+"@"+domain, "subscribe", nil)
		if !strings.Contains(p.XML, "<nick xmlns=\"http://jabber.org/protocol/nick\">"+n.name+"</nick>") {
			t.Errorf("subscription request of %s without its name: %s", n.id, p.XML)
		}
	}
	if r := roster(t, carol); len(r) != 0 && r["echo-1@"+domain].Sub == "both" {
		t.Errorf("without privileges the gateway must not write the roster: %v", r)
	}
	// The user adds a contact the gateway has not seen: it is resolved.
	carol.SendRaw(ctxT(t), `<presence type='subscribe' to='dave@`+domain+`'/>`)
	nextPresence(t, carol, "dave@"+domain, "subscribed", nil)
	carol.SendRaw(ctxT(t), `<presence type='subscribe' to='nobody@`+domain+`'/>`)
	nextPresence(t, carol, "nobody@"+domain, "unsubscribed", nil)

	// The user's own presence reaches the network: Echo Three mirrors it.
	raw(t, carol, `<presence to='`+domain+`'><show>dnd</show><status>in a meeting</status></presence>`)
	nextPresence(t, carol, "echo-3@"+domain, "", func(s xmpptest.Stanza) bool {
		return strings.Contains(s.XML, "<show>dnd</show>") && strings.Contains(s.XML, "in a meeting")
	})

	say("status")
	expect("Logged in to Echo as carol+code")
	say("logout")
	expect("logged out")
	say("status")
	expect("not logged in")
}

// TestAdminCommands: an admin lists users and removes one.
func TestAdminCommands(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	admin := s.user("admin")
	r, _ := command(t, admin, "admin-users", "", "", nil)
	if !strings.Contains(r.Notes(), "alice@localhost: alice") {
		t.Fatalf("admin-users: %s", r.XML)
	}
	r, _ = command(t, admin, "admin-stats", "", "", nil)
	if !strings.Contains(r.Notes(), ": 1 user, ") {
		t.Errorf("admin-stats: %s", r.XML)
	}
	r, _ = command(t, admin, "admin-remove", "", "", nil)
	r, _ = command(t, admin, "admin-remove", r.Command.SessionID, "complete", map[string]string{"user": "alice@localhost"})
	if !strings.Contains(r.Notes(), "removed") {
		t.Fatalf("admin-remove: %s", r.XML)
	}
	sendChat(t, alice, "bob@"+domain, "still there?")
	if st := nextMessage(t, alice, "bob@"+domain, timeout); st.Err == nil || st.Err.Condition != "registration-required" {
		t.Fatalf("removed user: %s", st.XML)
	}
}

// next2 waits for any stanza from this JID whose XML contains sub.
func next2(t *testing.T, c *xmpptest.Client, from, sub string) xmpptest.Stanza {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	st, err := c.Next(ctx, func(s xmpptest.Stanza) bool { return bareJID(s.From) == from && strings.Contains(s.XML, sub) })
	if err != nil {
		t.Fatalf("nothing with %s from %s: %v", sub, from, err)
	}
	return st
}

// TestLoggedOutByTheNetwork: the login state shows as the gateway's
// presence (xa with a status) and the user is told once what to do.
func TestLoggedOutByTheNetwork(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	sendChat(t, alice, "bob@"+domain, "kick")
	p := nextPresence(t, alice, domain, "", func(s xmpptest.Stanza) bool { return strings.Contains(s.XML, "<show>xa</show>") })
	if !strings.Contains(p.XML, "Logged out") || !strings.Contains(p.XML, "kicked by the echo network") {
		t.Errorf("presence: %s", p.XML)
	}
	m := nextMessage(t, alice, domain, timeout)
	if !strings.Contains(m.Body, "logged out") || !strings.Contains(m.Body, "login") {
		t.Errorf("notice: %s", m.XML)
	}
	r, _ := command(t, alice, "status", "", "", nil)
	if !strings.Contains(r.Notes(), "logged out") {
		t.Errorf("status: %s", r.XML)
	}
}

// TestStoppedByTheNetwork: a login the network stopped (another client
// took over) is said as such, not as refused credentials, and relogin
// connects it again without a new login.
func TestStoppedByTheNetwork(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	sendChat(t, alice, "bob@"+domain, "stop")
	p := nextPresence(t, alice, domain, "", func(s xmpptest.Stanza) bool { return strings.Contains(s.XML, "<show>xa</show>") })
	if !strings.Contains(p.XML, "Stopped: another echo client took over") {
		t.Errorf("presence: %s", p.XML)
	}
	m := nextMessage(t, alice, domain, timeout)
	if !strings.Contains(m.Body, "stopped your connection") || !strings.Contains(m.Body, "relogin") || strings.Contains(m.Body, "credentials") {
		t.Errorf("notice: %s", m.XML)
	}
	r, _ := command(t, alice, "status", "", "", nil)
	if !strings.Contains(r.Notes(), "State: stopped") {
		t.Errorf("status: %s", r.XML)
	}
	r, _ = command(t, alice, "relogin", "", "", nil)
	if r.Command.Status != "completed" {
		t.Fatalf("relogin: %s", r.XML)
	}
	echoOK(t, alice, "back again", timeout)
}
