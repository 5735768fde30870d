package bridge_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// registered logs a user in and registers them with the echo transport.
func registered(t *testing.T, s *stack, name string) *xmpptest.Client {
	t.Helper()
	c := s.user(name)
	s.waitGateway(c)
	if r := register(t, c, name); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	return c
}

// next waits for a message from bob that matches.
func next(t *testing.T, c *xmpptest.Client, what string, match func(xmpptest.Stanza) bool) xmpptest.Stanza {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	st, err := c.Next(ctx, func(s xmpptest.Stanza) bool {
		return s.Name == "message" && bareJID(s.From) == "bob@"+domain && match(s)
	})
	if err != nil {
		t.Fatalf("no %s from bob: %v", what, err)
	}
	return st
}

func has(sub string) func(xmpptest.Stanza) bool {
	return func(s xmpptest.Stanza) bool { return strings.Contains(s.XML, sub) }
}

func raw(t *testing.T, c *xmpptest.Client, x string) {
	t.Helper()
	if err := c.SendRaw(ctxT(t), x); err != nil {
		t.Fatal(err)
	}
}

// echoID sends a message and returns the id of its echo.
func echoID(t *testing.T, c *xmpptest.Client, id, body string) string {
	t.Helper()
	raw(t, c, `<message type='chat' id='`+id+`' to='bob@`+domain+`'><body>`+body+`</body><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/><request xmlns='urn:xmpp:receipts'/><markable xmlns='urn:xmpp:chat-markers:0'/></message>`)
	e := next(t, c, "echo of "+body, func(s xmpptest.Stanza) bool { return s.Body == body })
	if e.ID == "" {
		t.Fatalf("echo without an id: %s", e.XML)
	}
	return e.ID
}

// TestReceiptsMarkersAndStates: the contact marks the user's message
// delivered (XEP-0184) and displayed (XEP-0333); composing is answered
// with composing then paused (XEP-0085).
func TestReceiptsMarkersAndStates(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	echoID(t, alice, "m1", "hello")
	next(t, alice, "delivery receipt", has(`<received xmlns="urn:xmpp:receipts" id="m1"/>`))
	next(t, alice, "displayed marker", has(`<displayed xmlns="urn:xmpp:chat-markers:0" id="m1"/>`))

	raw(t, alice, `<message type='chat' to='bob@`+domain+`'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	next(t, alice, "composing", has(`<composing xmlns="http://jabber.org/protocol/chatstates"/>`))
	next(t, alice, "paused", has(`<paused xmlns="http://jabber.org/protocol/chatstates"/>`))
	// A state alone never gets an error, and a displayed marker from the
	// user reaches the network quietly.
	e := echoID(t, alice, "m2", "second")
	raw(t, alice, `<message type='chat' to='bob@`+domain+`'><displayed xmlns='urn:xmpp:chat-markers:0' id='`+e+`'/></message>`)
	echoID(t, alice, "m3", "third")
	for _, st := range alice.Pending() {
		if st.Type == "error" {
			t.Errorf("unexpected error: %s", st.XML)
		}
	}
}

// TestCorrectionReactionRetractionReply: each user action is mirrored by
// the echo contact on the right message; an action the network cannot do
// gets an error the client can show.
func TestCorrectionReactionRetractionReply(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	e := echoID(t, alice, "o1", "helo")

	raw(t, alice, `<message type='chat' id='o1fix' to='bob@`+domain+`'><body>hello</body><replace xmlns='urn:xmpp:message-correct:0' id='o1'/><origin-id xmlns='urn:xmpp:sid:0' id='o1fix'/></message>`)
	c := next(t, alice, "correction", has("urn:xmpp:message-correct:0"))
	if c.Body != "hello" || !strings.Contains(c.XML, `<replace xmlns="urn:xmpp:message-correct:0" id="`+e+`"/>`) {
		t.Fatalf("correction of the echo: %s", c.XML)
	}

	// A reaction on the echo, and one on the user's own message: both are
	// answered on the user's message.
	raw(t, alice, `<message type='chat' id='r1' to='bob@`+domain+`'><reactions xmlns='urn:xmpp:reactions:0' id='`+e+`'><reaction>👍</reaction></reactions></message>`)
	r := next(t, alice, "reaction", has("urn:xmpp:reactions:0"))
	if !strings.Contains(r.XML, `id="o1"`) || !strings.Contains(r.XML, "<reaction>👍</reaction>") {
		t.Fatalf("reaction: %s", r.XML)
	}
	raw(t, alice, `<message type='chat' id='r2' to='bob@`+domain+`'><reactions xmlns='urn:xmpp:reactions:0' id='o1'><reaction>❤️</reaction></reactions></message>`)
	r = next(t, alice, "reaction", has("urn:xmpp:reactions:0"))
	if !strings.Contains(r.XML, `id="o1"`) || !strings.Contains(r.XML, "<reaction>❤️</reaction>") {
		t.Fatalf("reaction on own message: %s", r.XML)
	}
	raw(t, alice, `<message type='chat' id='r3' to='bob@`+domain+`'><reactions xmlns='urn:xmpp:reactions:0' id='o1'><reaction>🦄</reaction></reactions></message>`)
	r = next(t, alice, "error", func(s xmpptest.Stanza) bool { return s.Type == "error" })
	if r.ID != "r3" || r.Err.Condition != "feature-not-implemented" || !strings.Contains(r.Err.Text, "no reaction") {
		t.Fatalf("unsupported reaction: %s", r.XML)
	}

	// A reply is echoed as a reply to the user's reply, with the quote.
	raw(t, alice, `<message type='chat' id='q1' to='bob@`+domain+`'><body>&gt; hello
sure</body><reply xmlns='urn:xmpp:reply:0' to='bob@`+domain+`' id='`+e+`'/><fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='8'/></fallback><origin-id xmlns='urn:xmpp:sid:0' id='q1'/></message>`)
	q := next(t, alice, "reply", has("urn:xmpp:reply:0"))
	if !strings.Contains(q.XML, `id="q1"`) || q.Body != "> sure\nsure" || !strings.Contains(q.XML, `start="0"`) || !strings.Contains(q.XML, `end="7"`) {
		t.Fatalf("reply: %s", q.XML)
	}

	raw(t, alice, `<message type='chat' id='x1' to='bob@`+domain+`'><retract xmlns='urn:xmpp:message-retract:1' id='o1'/><body>retracted</body></message>`)
	x := next(t, alice, "retraction", has("urn:xmpp:message-retract:1"))
	if !strings.Contains(x.XML, `<retract xmlns="urn:xmpp:message-retract:1" id="`+e+`"/>`) {
		t.Fatalf("retraction: %s", x.XML)
	}
	// Retracting the contact's message is not the user's to do.
	raw(t, alice, `<message type='chat' id='x2' to='bob@`+domain+`'><retract xmlns='urn:xmpp:message-retract:1' id='`+e+`'/></message>`)
	if x := next(t, alice, "error", func(s xmpptest.Stanza) bool { return s.Type == "error" }); x.ID != "x2" || x.Err.Condition != "not-allowed" {
		t.Fatalf("retracting the contact's message: %s", x.XML)
	}
	// A correction of a message the gateway never saw.
	raw(t, alice, `<message type='chat' id='c9' to='bob@`+domain+`'><body>?</body><replace xmlns='urn:xmpp:message-correct:0' id='never'/></message>`)
	if x := next(t, alice, "error", func(s xmpptest.Stanza) bool { return s.Type == "error" }); x.ID != "c9" || x.Err.Condition != "item-not-found" {
		t.Fatalf("correction of an unknown message: %s", x.XML)
	}
}

// TestMessageMapSurvivesRestart: a correction and a reaction of a message
// sent before a gateway restart land on the right message.
func TestMessageMapSurvivesRestart(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	e := echoID(t, alice, "before", "before the restart")
	next(t, alice, "displayed marker", has(`<displayed`))
	s.stop()
	s.start()
	s.waitGateway(alice)
	raw(t, alice, `<message type='chat' id='fix' to='bob@`+domain+`'><body>after</body><replace xmlns='urn:xmpp:message-correct:0' id='before'/></message>`)
	c := next(t, alice, "correction", func(s xmpptest.Stanza) bool {
		return strings.Contains(s.XML, "urn:xmpp:message-correct:0") || s.Type == "error"
	})
	if !strings.Contains(c.XML, `id="`+e+`"`) || c.Body != "after" {
		t.Fatalf("correction after restart: %s", c.XML)
	}
	raw(t, alice, `<message type='chat' id='r' to='bob@`+domain+`'><reactions xmlns='urn:xmpp:reactions:0' id='`+e+`'><reaction>🎉</reaction></reactions></message>`)
	if r := next(t, alice, "reaction", has("urn:xmpp:reactions:0")); !strings.Contains(r.XML, `id="before"`) {
		t.Fatalf("reaction after restart: %s", r.XML)
	}
}

// TestDuplicateAndBacklog: a duplicated network event is delivered once;
// late messages carry XEP-0203 delay with their time, in order.
func TestDuplicateAndBacklog(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	echoID(t, alice, "d1", "dup once")
	echoID(t, alice, "d2", "marker")
	n := 0
	for _, st := range alice.Pending() {
		if st.Body == "dup once" {
			n++
		}
	}
	if n != 0 {
		t.Fatalf("the duplicate echo was delivered again (%d more)", n)
	}

	raw(t, alice, `<message type='chat' to='bob@`+domain+`'><body>backlog 3</body></message>`)
	var last time.Time
	for i := 1; i <= 3; i++ {
		want := "backlog " + string(rune('0'+i)) + " of 3"
		m := next(t, alice, want, func(s xmpptest.Stanza) bool { return strings.HasPrefix(s.Body, "backlog ") && s.Body != "backlog 3" })
		if m.Body != want {
			t.Fatalf("out of order: want %q, got %s", want, m.XML)
		}
		var d struct {
			Delay struct {
				Stamp string `xml:"stamp,attr"`
			} `xml:"urn:xmpp:delay delay"`
		}
		if err := xml.Unmarshal([]byte(m.XML), &d); err != nil || d.Delay.Stamp == "" {
			t.Fatalf("no delay on %s", m.XML)
		}
		ts, err := time.Parse(time.RFC3339Nano, d.Delay.Stamp)
		if err != nil || !ts.After(last) || time.Since(ts) < 30*time.Second {
			t.Fatalf("delay stamp %q: %v (previous %v)", d.Delay.Stamp, err, last)
		}
		last = ts
	}
}

// TestOwnDeviceMessages: what the user sent from the network's own app
// reaches every client of theirs as sent by them (XEP-0356 message
// permission, then the server's carbons); without the permission, as a
// plainly labelled message from the contact.
func TestOwnDeviceMessages(t *testing.T) {
	s := newStack(t, stackOptions{privileged: true})
	phone := s.loginResourceRegistered(t, "alice", "laptop")
	desk := s.loginResource("alice", "desktop")
	for _, c := range []*xmpptest.Client{phone, desk} {
		if err := c.EnableCarbons(ctxT(t)); err != nil {
			t.Fatal(err)
		}
	}
	raw(t, phone, `<message type='chat' to='bob@`+domain+`'><body>from-phone see you at 8</body></message>`)
	for _, c := range []*xmpptest.Client{phone, desk} {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		st, err := c.Next(ctx, func(s xmpptest.Stanza) bool { return strings.Contains(s.XML, "see you at 8") })
		cancel()
		if err != nil {
			t.Fatalf("%s: no copy of the own-device message: %v", c.JID(), err)
		}
		if !strings.Contains(st.XML, "urn:xmpp:carbons:2") || !strings.Contains(st.XML, `from="alice@localhost"`) || !strings.Contains(st.XML, `to="bob@`+domain+`"`) {
			t.Errorf("%s: want a carbon of a message from alice to bob, got %s", c.JID(), st.XML)
		}
	}
	// The server routes the message sent as alice on to bob, that is to
	// the gateway: it must not go to the network again (the echo network
	// would repeat it as bob's).
	echoID(t, phone, "after", "after the phone's")
	for _, st := range phone.Pending() {
		if bareJID(st.From) == "bob@"+domain && st.Body == "see you at 8" {
			t.Errorf("the phone's message was sent to the network again: %s", st.XML)
		}
	}

	plain := newStack(t, stackOptions{})
	carol := registered(t, plain, "carol")
	raw(t, carol, `<message type='chat' to='bob@`+domain+`'><body>from-phone hi there</body></message>`)
	m := next(t, carol, "own-device fallback", has("hi there"))
	if !strings.HasPrefix(m.Body, "You wrote from another device: hi there") {
		t.Fatalf("fallback: %s", m.XML)
	}

	// Without the privilege the contact may correct and retract the copy
	// it showed, said to be the user's; the user's reaction from the
	// phone is not shown (from the contact it would read as theirs).
	raw(t, carol, `<message type='chat' to='bob@`+domain+`'><body>phone-story lunch at 1</body></message>`)
	m = next(t, carol, "own-device fallback", has("lunch at 1"))
	fix := next(t, carol, "its correction", has("urn:xmpp:message-correct:0"))
	if fix.Body != "You wrote from another device: lunch at 1 (edited)" || !strings.Contains(fix.XML, `id="`+m.ID+`"`) {
		t.Errorf("correction of the phone's message %s: %s", m.ID, fix.XML)
	}
	if del := next(t, carol, "its retraction", has("urn:xmpp:message-retract:1")); !strings.Contains(del.XML, `<retract xmlns="urn:xmpp:message-retract:1" id="`+m.ID+`"`) {
		t.Errorf("retraction of the phone's message %s: %s", m.ID, del.XML)
	}
	echoID(t, carol, "after-story", "after the story")
	for _, st := range carol.Pending() {
		if strings.Contains(st.XML, "urn:xmpp:reactions:0") {
			t.Errorf("the user's own reaction went out from the contact: %s", st.XML)
		}
	}
}

// loginResourceRegistered registers the user, logs in on resource and
// registers with the gateway.
func (s *stack) loginResourceRegistered(t *testing.T, name, resource string) *xmpptest.Client {
	t.Helper()
	if err := s.srv.Register(name, "pw-"+name); err != nil {
		t.Fatal(err)
	}
	c := s.loginResource(name, resource)
	s.waitGateway(c)
	if r := register(t, c, name); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	return c
}

// TestResendIgnored: a message the client sends again with the same
// origin-id (as after a stream resumption) goes to the network once, also
// after a gateway restart; so does a correction sent twice.
func TestResendIgnored(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	once := `<message type='chat' id='rs1' to='bob@` + domain + `'><body>only once</body><origin-id xmlns='urn:xmpp:sid:0' id='rs1'/></message>`
	raw(t, alice, once)
	e := next(t, alice, "echo", func(s xmpptest.Stanza) bool { return s.Body == "only once" })
	fix := `<message type='chat' id='fx1' to='bob@` + domain + `'><body>fixed</body><replace xmlns='urn:xmpp:message-correct:0' id='rs1'/></message>`
	raw(t, alice, fix)
	next(t, alice, "correction", func(s xmpptest.Stanza) bool { return s.Body == "fixed" })

	count := func(body string) int {
		n := 0
		for _, st := range alice.Pending() {
			if st.Body == body {
				n++
			}
		}
		return n
	}
	// resendBoth sends the message and the correction again, then a new
	// message: no echo of either may come before its echo, and the gateway
	// itself must have recognised ignored resends in all so far. (The
	// SDK's txn cache in the plugin would also stop them, but a plugin
	// need not use the SDK, and the check saves a round trip.)
	resendBoth := func(when, id, body string, ignored int) {
		t.Helper()
		raw(t, alice, once)
		raw(t, alice, fix)
		echoID(t, alice, id, body)
		if n := count("only once") + count("fixed"); n != 0 {
			t.Fatalf("%sa resent message or correction reached the network again (%d more echoes)", when, n)
		}
		if n := s.logs.Count("resend ignored"); n != ignored {
			t.Errorf("%sthe gateway recognised %d resends in all, want %d", when, n, ignored)
		}
	}
	resendBoth("", "rs2", "after the resend", 2)
	s.stop()
	s.start()
	s.waitGateway(alice)
	resendBoth("after a restart, ", "rs3", "after the restart", 4)
	// Enough new messages for the store to build alice's filter of the
	// IDs it holds (after 256 checks; see store.idFilters), which then
	// answers for the new ones: the old ones must still be found.
	for i := range 150 {
		echoID(t, alice, fmt.Sprint("fill", i), fmt.Sprint("filler ", i))
	}
	time.Sleep(300 * time.Millisecond) // the build runs beside the checks
	resendBoth("with the ID filter built, ", "rs4", "after the filter", 6)
	// The original is still known: a new correction of it works.
	raw(t, alice, `<message type='chat' id='fx2' to='bob@`+domain+`'><body>fixed again</body><replace xmlns='urn:xmpp:message-correct:0' id='rs1'/></message>`)
	if c := next(t, alice, "second correction", func(s xmpptest.Stanza) bool { return s.Body == "fixed again" }); !strings.Contains(c.XML, `id="`+e.ID+`"`) {
		t.Fatalf("second correction does not name the echo %s: %s", e.ID, c.XML)
	}
}

// TestReceiptsTwoUsersSameIDs: two users whose clients pick the same
// message IDs (simple clients count from 1) send at the same time; each
// gets every echo, delivery receipt and displayed marker of their own
// messages, none of the other's. The gateway once kept its recent
// messages by ID alone, and one chat then stopped getting receipts.
func TestReceiptsTwoUsersSameIDs(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	carol := registered(t, s, "carol")
	const n = 20
	send := func(c *xmpptest.Client, who string) {
		for i := range n { // not waiting for answers: all in flight at once
			id := fmt.Sprintf("m%d", i)
			raw(t, c, fmt.Sprintf(`<message type='chat' id='%s' to='bob@%s'><body>%s %d</body><origin-id xmlns='urn:xmpp:sid:0' id='%s'/><request xmlns='urn:xmpp:receipts'/><markable xmlns='urn:xmpp:chat-markers:0'/></message>`, id, domain, who, i, id))
		}
	}
	send(alice, "alice")
	send(carol, "carol")
	for _, u := range []struct {
		c   *xmpptest.Client
		who string
	}{{alice, "alice"}, {carol, "carol"}} {
		echoes, receipts, markers := map[string]bool{}, map[string]bool{}, map[string]bool{}
		for len(echoes) < n || len(receipts) < n || len(markers) < n {
			st := next(t, u.c, fmt.Sprintf("echo, receipt or marker (%d, %d, %d of %d)", len(echoes), len(receipts), len(markers), n), func(xmpptest.Stanza) bool { return true })
			switch {
			case st.Type == "error":
				t.Fatalf("%s: error: %s", u.who, st.XML)
			case st.Body != "":
				if !strings.HasPrefix(st.Body, u.who+" ") || echoes[st.Body] {
					t.Fatalf("%s: echo %q (seen before: %v)", u.who, st.Body, echoes[st.Body])
				}
				echoes[st.Body] = true
			case strings.Contains(st.XML, "<received "):
				id := attrOf(t, st.XML, "received")
				if receipts[id] {
					t.Fatalf("%s: second receipt for %s", u.who, id)
				}
				receipts[id] = true
			case strings.Contains(st.XML, "<displayed "):
				id := attrOf(t, st.XML, "displayed")
				if markers[id] {
					t.Fatalf("%s: second marker for %s", u.who, id)
				}
				markers[id] = true
			}
		}
		for i := range n {
			id := fmt.Sprintf("m%d", i)
			if !receipts[id] || !markers[id] {
				t.Errorf("%s: %s receipt %v, marker %v", u.who, id, receipts[id], markers[id])
			}
		}
	}
}

// attrOf returns the id attribute of the first element named local in x.
func attrOf(t *testing.T, x, local string) string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(x))
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("no <%s id> in %s: %v", local, x, err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == local {
			for _, a := range se.Attr {
				if a.Name.Local == "id" {
					return a.Value
				}
			}
		}
	}
}

// TestSlowConfirmHoldsOnlyItsChat: the network echoes a reply naming the
// user's message before it confirms that message (the echo network's
// "slow" word: confirmed 1.5 s late), so the gateway must wait for the
// confirmation to know which message the echo answers. Another user's
// messages are delivered meanwhile, and the held echo still quotes and
// names the right message.
func TestSlowConfirmHoldsOnlyItsChat(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	carol := registered(t, s, "carol")
	e := echoID(t, alice, "o1", "helo")

	type arrival struct {
		st xmpptest.Stanza
		at time.Time
	}
	await := func(c *xmpptest.Client, match func(xmpptest.Stanza) bool) <-chan arrival {
		ch := make(chan arrival, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			st, err := c.Next(ctx, match)
			if err != nil {
				st = xmpptest.Stanza{Type: "none", XML: err.Error()}
			}
			ch <- arrival{st, time.Now()}
		}()
		return ch
	}
	aliceEcho := await(alice, func(s xmpptest.Stanza) bool { return s.Name == "message" && s.Body != "" })
	carolEcho := await(carol, func(s xmpptest.Stanza) bool { return s.Name == "message" && s.Body != "" })

	raw(t, alice, `<message type='chat' id='q1' to='bob@`+domain+`'><body>slow sure</body><reply xmlns='urn:xmpp:reply:0' to='bob@`+domain+`' id='`+e+`'/><origin-id xmlns='urn:xmpp:sid:0' id='q1'/></message>`)
	// The plugin runs a chat's commands in order, and may run two chats'
	// on one worker: carol writes to three contacts, so that one of them
	// surely has a worker not busy with alice's slow send.
	for _, to := range []string{"bob", "dave", "erin"} {
		raw(t, carol, `<message type='chat' id='c-`+to+`' to='`+to+`@`+domain+`'><body>hi `+to+`</body></message>`)
	}
	c, a := <-carolEcho, <-aliceEcho
	if c.st.Type == "none" || a.st.Type == "none" {
		t.Fatalf("carol's echo: %s; alice's: %s", c.st.XML, a.st.XML)
	}
	if !c.at.Before(a.at) {
		t.Errorf("carol's echo came %v after alice's held one: a held chat held up another user", c.at.Sub(a.at))
	}
	if a.st.Body != "> slow sure\nslow sure" || !strings.Contains(a.st.XML, `<reply xmlns="urn:xmpp:reply:0"`) || !strings.Contains(a.st.XML, `id="q1"`) {
		t.Errorf("the held echo lost its reply: %s", a.st.XML)
	}
}

// TestPlainIDReused: clients may reuse a message id (RFC 6120): two
// messages with the same plain id (no origin-id) from two resources of
// the user, with different content, both reach the network; a resend
// from the same resource does not. A message id over 4 KiB is refused
// with a reason.
func TestPlainIDReused(t *testing.T) {
	s := newStack(t, stackOptions{})
	phone := registered(t, s, "alice")
	laptop := s.loginResourceRegistered(t, "alice", "laptop")
	msg := func(body string) string {
		return `<message type='chat' id='1' to='bob@` + domain + `'><body>` + body + `</body></message>`
	}
	raw(t, phone, msg("from the phone"))
	next(t, phone, "first", func(s xmpptest.Stanza) bool { return s.Body == "from the phone" })
	raw(t, laptop, msg("from the laptop"))
	next(t, laptop, "second", func(s xmpptest.Stanza) bool { return s.Body == "from the laptop" })
	raw(t, phone, msg("from the phone"))
	echoID(t, phone, "after", "after the resend")
	for _, p := range phone.Pending() {
		if p.Body == "from the phone" {
			t.Fatalf("the resend reached the network again: %s", p.XML)
		}
	}
	long := strings.Repeat("x", 4097)
	raw(t, phone, `<message type='chat' id='`+long+`' to='bob@`+domain+`'><body>long id</body></message>`)
	e := next(t, phone, "error", func(s xmpptest.Stanza) bool { return s.Type == "error" })
	if e.Err.Condition != "bad-request" || !strings.Contains(e.Err.Text, "4096 bytes") {
		t.Fatalf("a 4097-byte id: %s", e.XML)
	}
}
