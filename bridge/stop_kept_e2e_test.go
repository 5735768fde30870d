package bridge_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestReadAtStopAnswered: what a user sends while the gateway stops (its
// link still open for the answers of the commands in flight, its
// workers' context ended) is answered at the next start: a message too
// long gets its error, a line of the gateway's chat a line that asks to
// send it again (its words, maybe a password, are not kept), a
// subscription to a contact its approval; an iq get or set is answered
// at once, as the gateway stops, with an error that asks to send it
// again in a moment. Each was handled with the stop's ended context
// and its answer dropped: the sender never heard.
func TestReadAtStopAnswered(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	roster(t, alice) // an interested resource (RFC 6121 §3.1.6): it gets the approval
	bob, carol, dave := "bob@"+domain, "carol@"+domain, "dave@"+domain
	long := strings.Repeat("x", 1500) // max_body_bytes is 1000

	var msgID, setID, iqID, subID string
	// The stanzas must reach the gateway before its link closes: once
	// closed, the server bounces them, which says nothing of the
	// gateway. A stop whose window they missed (a busy machine) is
	// tried again.
	for try := 1; ; try++ {
		before := fmt.Sprintf("before %d", try)
		sendChat(t, alice, bob, before)
		// An answer of a try before may come first.
		if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool { return st.Body == before }); err != nil {
			t.Fatalf("no echo of %q: %v", before, err)
		}
		// A command in flight: the stop waits for its answer (3 s),
		// its link open.
		_, resume, stopped := stopWithInFlight(t, s, alice, bob, "in flight")
		// In this order: the server routes them in order, so the iq's
		// answer says whether the gateway read all three.
		subID = alice.NewID()
		raw(t, alice, `<presence type='subscribe' id='`+subID+`' to='`+carol+`'/>`)
		msgID = sendChat(t, alice, dave, long)
		// A line of the gateway's chat, maybe a login step's secret:
		// not kept, not taken as a command at the next start.
		raw(t, alice, `<message type='chat' id='`+alice.NewID()+`' to='`+domain+`'><body>find s3cret</body></message>`)
		setID = alice.NewID()
		raw(t, alice, `<iq type='set' id='`+setID+`' to='`+domain+`'><query xmlns='jabber:iq:gateway'><prompt>carol</prompt></query></iq>`)
		iqID = alice.NewID()
		raw(t, alice, `<iq type='get' id='`+iqID+`' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
		<-stopped
		// Answered as the gateway stopped, its link open (the stop
		// waits for the command in flight), not at the next start: its
		// sender waits for it now.
		answer, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool { return st.Name == "iq" && st.ID == iqID })
		resume()
		s.start()
		s.waitGateway(alice)
		if err == nil && answer.Type == "error" && answer.From == domain && strings.Contains(answer.XML, "resource-constraint") && strings.Contains(answer.XML, "send it again") {
			break
		}
		// Else the server's bounce (it had no gateway to route them to),
		// or none: read once the link's close began, too late for any
		// answer then (kept, this start answers it), or never answered.
		if err == nil && !strings.Contains(answer.XML, "service-unavailable") {
			t.Fatalf("the disco#info read at the stop: %s", answer.XML)
		}
		if try == 3 {
			t.Fatalf("the disco#info sent as the gateway stopped was not answered then, 3 times (last: %v)", err)
		}
		t.Logf("try %d: the disco#info sent as the gateway stopped was not answered then (%v); again", try, err)
	}

	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && st.Type == "error" && st.ID == msgID && strings.Contains(st.XML, "policy-violation")
	}); err != nil {
		t.Errorf("the message too long, read at the stop, never got its error: %v", err)
	}
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "iq" && st.Type == "error" && st.ID == setID && strings.Contains(st.XML, "resource-constraint")
	}); err != nil {
		t.Errorf("the iq set read at the stop was never answered: %v", err)
	}
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && st.From == domain && strings.Contains(st.Body, "send it again")
	}); err != nil {
		t.Errorf("the gateway's chat line read at the stop was never answered: %v", err)
	}
	if n := s.logs.Count("s3cret"); n > 0 {
		t.Errorf("the chat line's words reached the log %d times", n)
	}
	nextPresence(t, alice, carol, "subscribed", nil)
}

// stopWithInFlight holds the plugin, sends alice's message to to (a
// command in flight, whose answer the stop waits for, 3 s at most), and
// begins the stack's stop once its record is written; it returns once
// the stop began (its log line). It returns the message's id, what
// resumes the plugin, and what is closed once the stop ended.
func stopWithInFlight(t *testing.T, s *stack, alice *xmpptest.Client, to, body string) (string, func(), <-chan struct{}) {
	t.Helper()
	resume := s.holdPlugin()
	id := sendChat(t, alice, to, body)
	s.logs.waitLog(t, `msg="message on its way to the plugin recorded" transport=echo login=alice txn=`+id+"\n", timeout)
	stopping := s.logs.Count(`msg="transport stopping"`)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		s.stop()
	}()
	waitCount(t, s, `msg="transport stopping"`, stopping+1)
	return id, resume, stopped
}

// waitCount waits until the log holds s n times.
func waitCount(t *testing.T, s *stack, what string, n int) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for s.logs.Count(what) < n {
		if time.Now().After(deadline) {
			t.Fatalf("log never said %q %d times", what, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
