package bridge_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/store"
)

// Disappearing messages: the echo network's "vanish N TEXT" is a message
// both sides' copies of which the network deletes N seconds later, and
// "vanish-read N TEXT" an echo whose timer starts when the user reads it.

// retractionOf waits for a retraction of the message whose id is id,
// from bob; it fails the test on anything from bob in between that
// matches other.
func retractionOf(t *testing.T, c *xmpptest.Client, id string, within time.Duration) xmpptest.Stanza {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	st, err := c.Next(ctx, func(s xmpptest.Stanza) bool {
		return s.Name == "message" && strings.Contains(s.XML, `<retract xmlns="urn:xmpp:message-retract:1" id="`+id+`"`)
	})
	if err != nil {
		t.Fatalf("no retraction of %s: %v; pending %v", id, err, c.Pending())
	}
	return st
}

// TestDisappearingMessages: the contact's disappearing message is
// retracted, from the contact, at its deadline and not before, saying
// why; so is the user's own (sent as the user, XEP-0356, as their other
// clients must hear it), and a message whose deadline passed before it
// came is not shown at all. Without the privilege the user's own message
// is left alone: a retraction from the contact would not be the user's.
func TestDisappearingMessages(t *testing.T) {
	s := newStack(t, stackOptions{privileged: true})
	alice := s.loginResourceRegistered(t, "alice", "laptop")
	if err := alice.EnableCarbons(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	e := echoID(t, alice, "v1", "vanish 3 see you never")
	x := retractionOf(t, alice, e, timeout)
	if took := time.Since(sent); took < 2500*time.Millisecond {
		t.Errorf("retracted %s after sending, before its deadline of 3 s", took)
	}
	if bareJID(x.From) != "bob@"+domain || !strings.Contains(x.Body, "disappearing message") {
		t.Errorf("the retraction: %s", x.XML)
	}
	// The user's own copy, as the user: a carbon of a retraction from
	// alice to bob, naming the id the client gave it.
	own := retractionOf(t, alice, "v1", timeout)
	if !strings.Contains(own.XML, "urn:xmpp:carbons:2") || !strings.Contains(own.XML, `from="alice@localhost"`) {
		t.Errorf("the user's own message's retraction: %s", own.XML)
	}

	// Past its deadline on arrival: the next echo comes first, and
	// nothing of the late one ever does.
	raw(t, alice, `<message type='chat' id='v2' to='bob@`+domain+`'><body>vanish -5 too late</body></message>`)
	echoID(t, alice, "v3", "after the late one")
	for _, st := range alice.Pending() {
		if strings.Contains(st.XML, "too late") && bareJID(st.From) == "bob@"+domain {
			t.Errorf("a message past its deadline was shown: %s", st.XML)
		}
		if st.Type == "error" {
			// The retraction sent as the user comes back to the
			// gateway through the user's server: it must not go to
			// the network as the user's own, nor fail.
			t.Errorf("an error: %s", st.XML)
		}
	}

	plain := newStack(t, stackOptions{})
	carol := registered(t, plain, "carol")
	e = echoID(t, carol, "c1", "vanish 1 brief")
	retractionOf(t, carol, e, timeout)
	echoID(t, carol, "c2", "after the retraction")
	for _, st := range carol.Pending() {
		if strings.Contains(st.XML, `id="c1"`) && strings.Contains(st.XML, "message-retract") {
			t.Errorf("the user's own message retracted from the contact: %s", st.XML)
		}
	}
}

// TestDisappearingAcrossRestart: a deadline that passes while the
// gateway is down is acted on when it starts again.
func TestDisappearingAcrossRestart(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	e := echoID(t, alice, "v1", "vanish 2 gone while you were out")
	s.stop()
	time.Sleep(2500 * time.Millisecond)
	s.start()
	s.waitGateway(alice)
	retractionOf(t, alice, e, timeout)
}

// TestDisappearingKept: a message the network keeps after all (WhatsApp's
// keep in chat, an ExpiryEvent) is not retracted at its deadline, nor
// after a restart; one kept and then no longer is retracted at the
// chat's timer counted from its time.
func TestDisappearingKept(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	kept := echoID(t, alice, "k1", "vanish-kept 1 keep this")
	gone := echoID(t, alice, "k2", "vanish-unkept 1 gone after all")
	retractionOf(t, alice, gone, timeout)
	s.stop()
	time.Sleep(1500 * time.Millisecond)
	s.start()
	s.waitGateway(alice)
	echoID(t, alice, "k3", "after the restart")
	time.Sleep(time.Second)
	for _, st := range alice.Pending() {
		if strings.Contains(st.XML, `<retract xmlns="urn:xmpp:message-retract:1" id="`+kept+`"`) {
			t.Errorf("a kept message was retracted: %s", st.XML)
		}
	}
}

// TestDisappearingAfterRead: a timer that starts when the user reads the
// message does not run before; the user's displayed marker starts it.
func TestDisappearingAfterRead(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	e := echoID(t, alice, "v1", "vanish-read 1 read me")
	// Unread, it stays: a message sent after it is answered, and its
	// echo waits a second more, with no retraction meanwhile.
	time.Sleep(1500 * time.Millisecond)
	echoID(t, alice, "v2", "still here?")
	for _, st := range alice.Pending() {
		if strings.Contains(st.XML, "message-retract") {
			t.Fatalf("retracted before it was read: %s", st.XML)
		}
	}
	read := time.Now()
	raw(t, alice, `<message type='chat' to='bob@`+domain+`'><displayed xmlns='urn:xmpp:chat-markers:0' id='`+e+`'/></message>`)
	retractionOf(t, alice, e, timeout)
	if took := time.Since(read); took < 800*time.Millisecond {
		t.Errorf("retracted %s after the read, before its timer of 1 s", took)
	}
}

// TestDisappearingInRoom: in a group, both the user's message and its
// repeat are retracted at their deadline, in the room and in its
// archive.
func TestDisappearingInRoom(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	groupchat(t, alice, "vanish 2 in the room")
	ownSID := stanzaID(t, roomMessage(t, alice, self, "vanish 2 in the room"))
	repeatSID := stanzaID(t, roomMessage(t, alice, "Echo One", "vanish 2 in the room"))
	for _, id := range []string{ownSID, repeatSID} {
		x := retractionOf(t, alice, id, timeout)
		if bareJID(x.From) != room || x.Type != "groupchat" {
			t.Errorf("retraction of %s: %s", id, x.XML)
		}
	}
	j := join(t, s.loginResource("alice", "phone"), "a", `<history maxstanzas='50'/>`)
	for _, h := range j.history {
		if h.Body == "vanish 2 in the room" {
			t.Errorf("an expired message is still in the history: %s", h.XML)
		}
	}
}

// TestChatTimerCommand: "/timer LENGTH" sets the chat's timer on the
// network, whose notice answers it, and the messages after it disappear
// at their deadline until "/timer off"; a length the network refuses and
// one the gateway cannot read are answered with errors saying why
// ("/timer" alone asks: TestChatQueries); a message that only starts
// with the word is a message. In a room, the same.
func TestChatTimerCommand(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	bob := "bob@" + domain
	raw(t, alice, `<message type='chat' id='t1' to='`+bob+`'><body>/timer 2s</body></message>`)
	if n := next(t, alice, "the timer's notice", has("Disappearing messages")); !strings.Contains(n.Body, "Disappearing messages turned on: messages disappear 2 s after they are sent") {
		t.Fatalf("notice: %s", n.XML)
	}
	e := echoID(t, alice, "m1", "under the timer")
	retractionOf(t, alice, e, timeout)

	raw(t, alice, `<message type='chat' id='t2' to='`+bob+`'><body>/timer off</body></message>`)
	next(t, alice, "the timer's notice", has("Disappearing messages turned off"))
	plain := echoID(t, alice, "m2", "no timer any more")
	e = echoID(t, alice, "m3", "vanish 1 the marker")
	retractionOf(t, alice, e, timeout)
	for _, st := range alice.Pending() {
		if strings.Contains(st.XML, `id="`+plain+`"`) && strings.Contains(st.XML, "message-retract") {
			t.Errorf("retracted after the timer was turned off: %s", st.XML)
		}
	}

	for _, c := range []struct{ body, cond, text string }{
		{"/timer 100d", "bad-request", "at most 90 days"},
		{"/timer soon", "bad-request", "usage: /timer"},
	} {
		id := alice.NewID()
		raw(t, alice, `<message type='chat' id='`+id+`' to='`+bob+`'><body>`+c.body+`</body></message>`)
		st := next(t, alice, "an error", func(s xmpptest.Stanza) bool { return s.Type == "error" })
		if st.ID != id || st.Err == nil || st.Err.Condition != c.cond || !strings.Contains(st.Err.Text, c.text) {
			t.Errorf("%q: want %s saying %q, got %s", c.body, c.cond, c.text, st.XML)
		}
	}
	echoID(t, alice, "m4", "/timers are not a command")

	// Sent again (a stream resumed), the command is not run again.
	for range 2 {
		raw(t, alice, `<message type='chat' id='tr' to='`+bob+`'><body>/timer 1h</body><origin-id xmlns='urn:xmpp:sid:0' id='tr'/></message>`)
	}
	next(t, alice, "the timer's notice", has("1 hour after"))
	raw(t, alice, `<message type='chat' id='t3' to='`+bob+`'><body>/timer off</body></message>`)
	next(t, alice, "the timer's notice", has("Disappearing messages turned off"))
	for _, st := range alice.Pending() {
		if strings.Contains(st.Body, "1 hour after") {
			t.Errorf("a resent /timer ran again: %s", st.XML)
		}
	}

	self := nick(join(t, alice, "a", "").self.From)
	groupchat(t, alice, "/timer 1d")
	n, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Type == "groupchat" && bareJID(st.From) == room && strings.Contains(st.Body, "Disappearing messages turned on")
	})
	if err != nil || nick(n.From) != self {
		t.Fatalf("the room's timer notice, from the user: %v %s", err, n.XML)
	}
}

// TestDisappearingRetractedOnce: a message the network deletes itself
// at its deadline (Telegram tells of the deletion) is retracted once,
// whether the network's deletion comes after the gateway's retraction at
// the deadline or before it.
func TestDisappearingRetractedOnce(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	bob := "bob@" + domain
	count := func(id string) int {
		n := 0
		for _, st := range alice.Pending() {
			if strings.Contains(st.XML, `<retract xmlns="urn:xmpp:message-retract:1" id="`+id+`"`) {
				n++
			}
		}
		return n
	}
	// The deadline first: the echo network retracts its echo when the
	// user retracts theirs, after the deadline here.
	e := echoID(t, alice, "v1", "vanish 1 first the deadline")
	retractionOf(t, alice, e, timeout)
	raw(t, alice, `<message type='chat' id='x1' to='`+bob+`'><retract xmlns='urn:xmpp:message-retract:1' id='v1'/></message>`)
	echoID(t, alice, "b1", "barrier one")
	if n := count(e); n != 0 {
		t.Errorf("the echo retracted %d more times after its deadline", n)
	}
	// Nor after a restart: the dropped retraction left nothing behind.
	s.stop()
	s.start()
	s.waitGateway(alice)
	echoID(t, alice, "b1r", "barrier after the restart")
	if n := count(e); n != 0 {
		t.Errorf("the echo retracted %d more times after a restart", n)
	}

	// The network first: its retraction, then nothing at the deadline.
	e = echoID(t, alice, "v2", "vanish 2 first the network")
	raw(t, alice, `<message type='chat' id='x2' to='`+bob+`'><retract xmlns='urn:xmpp:message-retract:1' id='v2'/></message>`)
	retractionOf(t, alice, e, timeout)
	time.Sleep(2500 * time.Millisecond)
	echoID(t, alice, "b2", "barrier two")
	if n := count(e); n != 0 {
		t.Errorf("the echo retracted %d more times at its deadline", n)
	}
}

// TestDisappearingAfterPrune: a deadline longer than the message map's
// retention still retracts its message, whose map entry was pruned
// before it (the deadline keeps the XMPP id it was delivered with): here
// the user's own message, retracted as the user.
func TestDisappearingAfterPrune(t *testing.T) {
	s := newStack(t, stackOptions{privileged: true})
	alice := s.loginResourceRegistered(t, "alice", "laptop")
	if err := alice.EnableCarbons(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	echoID(t, alice, "v1", "vanish 3 outlives its map entry")
	s.stop()
	db, err := store.Open(filepath.Join(s.dir, "data", "passerelle.db"))
	if err != nil {
		t.Fatal(err)
	}
	// What message_retention's pruning does to entries older than it.
	if n, err := db.PruneMessages(ctxT(t), time.Now().Add(time.Hour)); err != nil || n == 0 {
		t.Fatalf("PruneMessages = %d, %v", n, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s.start()
	s.waitGateway(alice)
	retractionOf(t, alice, "v1", timeout)
}
