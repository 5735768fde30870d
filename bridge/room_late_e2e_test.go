package bridge_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// delayedAt is the time of the first XEP-0203 delay in st; zero for none.
func delayedAt(t *testing.T, st xmpptest.Stanza) time.Time {
	t.Helper()
	if !strings.Contains(st.XML, "urn:xmpp:delay") {
		return time.Time{}
	}
	m := delayStamp.FindStringSubmatch(st.XML)
	if m == nil {
		return time.Time{}
	}
	at, err := time.Parse(time.RFC3339Nano, m[1])
	if err != nil {
		t.Fatalf("delay stamp %q: %v", m[1], err)
	}
	return at
}

// TestRoomLateMessageCaughtUp: a member's message that reaches the
// network (and the gateway) an hour and a half after it was written (a
// phone that was offline) is shown with its own time, and a client that
// catches up, with MAM after the last stanza-id it saw or with a join's
// history since the last time it saw, gets it: the archive is in the
// order messages arrived. Before, it was placed at its time, in the
// past, and both catch-ups missed it. History older than anything the
// archive holds goes before it, at its own time, where scrolling back
// finds it.
func TestRoomLateMessageCaughtUp(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	groupchat(t, alice, "hello")
	// The user's reflection and Echo One's repeat, in either order (the
	// plugin repeats before it answers): the client saw the later last
	// (a room's copies are written in stanza-id order).
	var seen string
	for range 2 {
		seen = stanzaID(t, roomMessage(t, alice, "", "hello"))
	}
	since := time.Now().UTC()
	time.Sleep(10 * time.Millisecond) // the archive's times are the gateway's clock, as since is
	groupchat(t, alice, "late 90")
	late := roomMessage(t, alice, "Echo One", "sent 90 minutes ago")
	if at := delayedAt(t, late); at.IsZero() || time.Since(at) < 89*time.Minute || time.Since(at) > 91*time.Minute {
		t.Errorf("the late message live is not stamped with its time (%v): %s", at, late.XML)
	}
	groupchat(t, alice, "backlog 2")
	for i := range 2 {
		roomMessage(t, alice, "Echo One", "backlog "+string(rune('1'+i))+" of 2")
	}

	want := []string{"hello", "late 90", "sent 90 minutes ago", "backlog 2"}
	p := queryMAM(t, alice, room, rsmSet(`<after>`+seen+`</after>`))
	var got []string
	for _, m := range p.msgs {
		got = append(got, m.Result.Forwarded.Message.Body)
		if m.Result.Forwarded.Message.Body == "sent 90 minutes ago" {
			at, err := time.Parse(time.RFC3339Nano, m.Result.Forwarded.Delay.Stamp)
			if err != nil || time.Since(at) < 89*time.Minute {
				t.Errorf("MAM shows the late message at %q, not its time", m.Result.Forwarded.Delay.Stamp)
			}
		}
	}
	if !caughtUp(got, want[1:]) || slices.Contains(got, "backlog 1 of 2") {
		t.Errorf("MAM after the last seen:\n got %q\nwant %q among them, not the older history", got, want[1:])
	}
	p = queryMAM(t, alice, room, rsmSet(`<max>2</max>`))
	if len(p.msgs) != 2 || p.msgs[0].Result.Forwarded.Message.Body != "backlog 1 of 2" || p.msgs[1].Result.Forwarded.Message.Body != "backlog 2 of 2" {
		t.Errorf("the archive does not start with the older history: %+v", p.msgs)
	}

	phone := s.loginResource("alice", "phone")
	j := join(t, phone, "a", `<history since='`+since.Format(time.RFC3339Nano)+`'/>`)
	got = nil
	for _, h := range j.history {
		got = append(got, h.Body)
	}
	if !caughtUp(got, want[1:]) || slices.Contains(got, want[0]) {
		t.Errorf("history since the last seen:\n got %q\nwant %q", got, want[1:])
	}
}

// caughtUp reports whether got holds every one of want (the user's
// "late 90", the late message, the user's "backlog 2"), the last after
// the late message: the reflection of the user's command and the late
// message it made may come in either order (the plugin sends the late
// message before it answers the command).
func caughtUp(got, want []string) bool {
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	return containsInOrder(got, want[1:])
}

// containsInOrder reports whether every one of want is in got, in that
// order.
func containsInOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// TestLateMessageStamped: in a one-to-one chat, a contact's message that
// arrives an hour and a half after it was written is shown with its own
// time (XEP-0203), as history is; one on time is not delayed. Before, a
// live message never carried its time, and a client showed the arrival.
func TestLateMessageStamped(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	sendChat(t, alice, "bob@"+domain, "on time")
	st := next(t, alice, "the echo", func(s xmpptest.Stanza) bool { return s.Body == "on time" })
	if at := delayedAt(t, st); !at.IsZero() {
		t.Errorf("a message on time delayed: %s", st.XML)
	}
	sendChat(t, alice, "bob@"+domain, "late 90")
	st = next(t, alice, "the late message", func(s xmpptest.Stanza) bool { return s.Body == "sent 90 minutes ago" })
	if at := delayedAt(t, st); at.IsZero() || time.Since(at) < 89*time.Minute || time.Since(at) > 91*time.Minute {
		t.Errorf("the late message is not stamped with its time (%v): %s", at, st.XML)
	}
}
