package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomSubjectWithBody: a groupchat message with both a <subject/>
// and a <body/> is a message, not a subject change (XEP-0045 §8.1): the
// group gets the subject as the text's first line, bold where the
// network has formatting, as a message to a contact does (Echo One's
// repeat shows it back as XEP-0393), and the room's subject stays. The
// subject was dropped: the group got the body alone.
func TestRoomSubjectWithBody(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	j := join(t, alice, "a", "")
	raw(t, alice, `<message type='groupchat' id='sb1' to='`+room+`'><subject>Lunch</subject><body>at noon?</body></message>`)
	st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "message" && bareJID(s.From) == room && (s.Type == "error" || nick(s.From) == "Echo One" && s.Body != "")
	})
	if err != nil || st.Type == "error" || st.Body != "*Lunch*\nat noon?" {
		t.Fatalf("a subject and body in the room: want Echo One to repeat %q, got %v %s", "*Lunch*\nat noon?", err, st.XML)
	}
	if strings.Contains(st.XML, "<subject") {
		t.Fatalf("the repeat changes the subject: %s", st.XML)
	}
	// The room's subject is what it was: a later join shows it (with no
	// history: the message, kept as sent, has a <subject/> too, which
	// join would take for the room's).
	again := join(t, s.loginResource("alice", "phone"), "a", `<history maxstanzas='0'/>`)
	if again.subject.XML == "" || !strings.Contains(again.subject.XML, "<subject>Echo room</subject>") || !strings.Contains(j.subject.XML, "<subject>Echo room</subject>") {
		t.Fatalf("the room's subject changed: before %s, after %s", j.subject.XML, again.subject.XML)
	}
	// With history, the message (its <subject/> kept, as Prosody keeps
	// it) comes first, and the room's subject last (XEP-0045 §7.2.15),
	// so that a client reading any <subject/> as the topic ends with the
	// room's.
	laptop := s.loginResource("alice", "laptop")
	raw(t, laptop, `<presence to='`+room+`/a'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='20'/></x></presence>`)
	var seen []string
	for {
		st, err := laptop.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "message" && bareJID(s.From) == room && (s.Type == "error" || strings.Contains(s.XML, "<subject"))
		})
		if err != nil || st.Type == "error" {
			t.Fatalf("join with history: %v %s (so far %v)", err, st.XML, seen)
		}
		seen = append(seen, st.Body)
		if st.Body == "" {
			if !strings.Contains(st.XML, "<subject>Echo room</subject>") || len(seen) != 2 || seen[0] != "at noon?" {
				t.Fatalf("join with history: want the message with its subject, then the room's subject; got bodies %q, last %s", seen, st.XML)
			}
			break
		}
	}
}
