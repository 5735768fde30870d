package bridge_test

import (
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"passerelle.im/passerelle/internal/xmpptest"
)

// mentionRef is the XEP-0372 reference of a mention of contact at code
// points [begin, end) of a body, as references reads it.
func mentionRef(contact string, begin, end int) string {
	return fmt.Sprintf("mention %d-%d xmpp:%s@%s", begin, end, contact, domain)
}

// references lists the XEP-0372 references of a stanza, as mentionRef
// writes them (attributes come in any order).
func references(t *testing.T, x string) []string {
	t.Helper()
	var refs []string
	d := xml.NewDecoder(strings.NewReader(x))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return refs
		}
		if err != nil {
			t.Fatalf("%s: %v", x, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "reference" || se.Name.Space != "urn:xmpp:reference:0" {
			continue
		}
		a := map[string]string{}
		for _, at := range se.Attr {
			a[at.Name.Local] = at.Value
		}
		refs = append(refs, fmt.Sprintf("%s %s-%s %s", a["type"], a["begin"], a["end"], a["uri"]))
	}
}

// hasRefs reports whether the stanza's references are exactly want.
func hasRefs(t *testing.T, x string, want ...string) bool {
	t.Helper()
	return slices.Equal(references(t, x), want)
}

// runesBefore is the code point offset of sub in s.
func runesBefore(t *testing.T, s, sub string) int {
	t.Helper()
	i := strings.Index(s, sub)
	if i < 0 {
		t.Fatalf("%q not in %q", sub, s)
	}
	return utf8.RuneCountInString(s[:i])
}

// TestFormattedText: what the user styles with XEP-0393 reaches the
// network as text and spans (the echo network echoes them back, adding
// the links and mentions it recognises), and the network's formatted
// text reaches the user as a XEP-0393 body with a XEP-0372 reference
// per mention, counted in code points, naming the puppet.
func TestFormattedText(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	// The contacts are known (so a mention reads as the contact's name)
	// once the gateway asks in their name to be in the roster.
	nextPresence(t, alice, "echo-1@"+domain, "subscribe", nil)

	// The plugin gets the text without directives: "from-phone" sends
	// back what follows it, without the spans.
	sendChat(t, alice, "bob@"+domain, "from-phone *hi* _there_")
	if m := nextMessage(t, alice, "bob@"+domain, timeout); m.Body != "You wrote from another device: hi there" {
		t.Fatalf("the network got the directives: %s", m.XML)
	}

	// Bold, italic, a link and a mention, after non-ASCII text (offsets
	// are code points, not bytes), come back styled.
	typed := "*bold* and _italic_ in café ☕ see https://example.org/a?b=1 cc @echo-1"
	id := sendChat(t, alice, "bob@"+domain, typed)
	want := "*bold* and _italic_ in café ☕ see https://example.org/a?b=1 cc @Echo One"
	m := nextMessage(t, alice, "bob@"+domain, timeout)
	begin := runesBefore(t, want, "@Echo One")
	if m.Body != want || !hasRefs(t, m.XML, mentionRef("echo-1", begin, begin+len("@Echo One"))) {
		t.Fatalf("echo of %q: %s", typed, m.XML)
	}

	// A correction is formatted the same way.
	raw(t, alice, `<message type='chat' id='fix1' to='bob@`+domain+`'><body>~bold~ *fixed* for @echo-2</body><replace xmlns='urn:xmpp:message-correct:0' id='`+id+`'/></message>`)
	c := next(t, alice, "correction", has("urn:xmpp:message-correct:0"))
	if c.Body != "~bold~ *fixed* for @Echo Two" || !hasRefs(t, c.XML, mentionRef("echo-2", 19, 28)) {
		t.Fatalf("correction: %s", c.XML)
	}

	// A reply's quote comes before the text: the mention's range moves
	// with it.
	raw(t, alice, `<message type='chat' id='q1' to='bob@`+domain+`'><body>&gt; hi
hey @echo-3</body><reply xmlns='urn:xmpp:reply:0' to='bob@`+domain+`' id='`+m.ID+`'/><fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='5'/></fallback><origin-id xmlns='urn:xmpp:sid:0' id='q1'/></message>`)
	q := next(t, alice, "reply", has("urn:xmpp:reply:0"))
	want = "> hey @echo-3\nhey @Echo Three"
	begin = runesBefore(t, want, "@Echo Three")
	if q.Body != want || !hasRefs(t, q.XML, mentionRef("echo-3", begin, begin+len("@Echo Three"))) {
		t.Fatalf("reply: %s", q.XML)
	}

	// Markup a XEP-0393 client would not style stays as typed, both ways.
	for _, plain := range []string{"2*3*4 = 24", "snake_case_name", "a ``` b"} {
		sendChat(t, alice, "bob@"+domain, plain)
		if m := nextMessage(t, alice, "bob@"+domain, timeout); m.Body != plain || !hasRefs(t, m.XML) {
			t.Errorf("echo of %q: %s", plain, m.XML)
		}
	}
	for _, st := range alice.Pending() {
		if st.Type == "error" {
			t.Errorf("unexpected error: %s", st.XML)
		}
	}
}

// metaActions corrects, reacts to, replies to and retracts the user's
// message sent (whose echo is echo), and marks the echo read: the echo
// network refuses each one whose message metadata the gateway did not
// hand back. tag makes the ids unique.
func metaActions(t *testing.T, alice *xmpptest.Client, sent, echo, tag string) {
	t.Helper()
	to := "bob@" + domain
	failed := func(what string) func(xmpptest.Stanza) bool {
		return func(s xmpptest.Stanza) bool { return s.Type == "error" || strings.Contains(s.XML, what) }
	}
	ok := func(st xmpptest.Stanza, what string) {
		t.Helper()
		if st.Type == "error" || !strings.Contains(st.XML, what) {
			t.Fatalf("%s (%s): %s", what, tag, st.XML)
		}
	}
	raw(t, alice, `<message type='chat' id='c-`+tag+`' to='`+to+`'><body>corrected `+tag+`</body><replace xmlns='urn:xmpp:message-correct:0' id='`+sent+`'/></message>`)
	ok(next(t, alice, "correction", failed(nsCorrect)), `<replace xmlns="urn:xmpp:message-correct:0" id="`+echo+`"/>`)
	// A reaction on the echo (the contact's message: Event.meta) and on
	// the user's own (CommandResult.meta).
	raw(t, alice, `<message type='chat' id='r1-`+tag+`' to='`+to+`'><reactions xmlns='urn:xmpp:reactions:0' id='`+echo+`'><reaction>👍</reaction></reactions></message>`)
	ok(next(t, alice, "reaction", failed(nsReactions)), `<reactions xmlns="urn:xmpp:reactions:0" id="`+sent+`">`)
	raw(t, alice, `<message type='chat' id='r2-`+tag+`' to='`+to+`'><reactions xmlns='urn:xmpp:reactions:0' id='`+sent+`'><reaction>🎉</reaction></reactions></message>`)
	ok(next(t, alice, "reaction", failed(nsReactions)), "<reaction>🎉</reaction>")
	raw(t, alice, `<message type='chat' id='q-`+tag+`' to='`+to+`'><body>reply `+tag+`</body><reply xmlns='urn:xmpp:reply:0' to='`+to+`' id='`+echo+`'/><origin-id xmlns='urn:xmpp:sid:0' id='q-`+tag+`'/></message>`)
	ok(next(t, alice, "reply", failed(nsReply)), `<reply xmlns="urn:xmpp:reply:0"`)
	raw(t, alice, `<message type='chat' to='`+to+`'><displayed xmlns='urn:xmpp:chat-markers:0' id='`+echo+`'/></message>`)
	raw(t, alice, `<message type='chat' id='x-`+tag+`' to='`+to+`'><retract xmlns='urn:xmpp:message-retract:1' id='`+sent+`'/></message>`)
	ok(next(t, alice, "retraction", failed(nsRetract)), `<retract xmlns="urn:xmpp:message-retract:1" id="`+echo+`"/>`)
}

const (
	nsCorrect   = "urn:xmpp:message-correct:0"
	nsReactions = "urn:xmpp:reactions:0"
	nsReply     = "urn:xmpp:reply:0"
	nsRetract   = "urn:xmpp:message-retract:1"
)

// TestMetaHandedBack: the metadata the plugin gives a message (the echo
// network gives each of its messages some, and refuses a command naming
// a message without it) is stored with the message and handed back with
// every command naming it, from a real client, after a gateway restart
// too.
func TestMetaHandedBack(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	e1 := echoID(t, alice, "m1", "first")
	e2 := echoID(t, alice, "m2", "second")
	metaActions(t, alice, "m1", e1, "live")

	s.stop()
	s.start()
	s.waitGateway(alice)
	metaActions(t, alice, "m2", e2, "restarted")
	// The read markers went through too: a refused one is only logged
	// (the user never hears of read markers), with the echo network's
	// complaint about the metadata. (One cut short by the restart is
	// logged too, for another reason.)
	echoID(t, alice, "m3", "third")
	if n := s.logs.Count("metadata"); n != 0 {
		t.Errorf("the plugin complained of metadata %d times", n)
	}
}
