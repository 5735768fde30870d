package bridge_test

import (
	"strings"
	"testing"
	"time"
)

// TestRoomRetentionCommand: a real client sets its room's own retention
// with the room-retention ad-hoc command; the room's archive is pruned to
// it at once (MAM then finds only the newest three). Bad values change
// nothing and say why; a room the user is not in is refused; a room
// cannot keep more than the gateway's archive_messages.
func TestRoomRetentionCommand(t *testing.T) {
	s := newStack(t, stackOptions{extra: "archive_messages = 100"})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	for _, body := range []string{"one", "two", "three"} {
		groupchat(t, alice, body)
		roomMessage(t, alice, "Echo One", body)
	}
	countMAM := func() int {
		return len(queryMAM(t, alice, room, rsmSet(`<max>100</max>`)).msgs)
	}
	if n := countMAM(); n < 6 {
		t.Fatalf("archive holds %d messages, want 6 or more", n)
	}

	r, _ := command(t, alice, "room-retention", "", "", nil)
	if r.Command.Status != "executing" || !strings.Contains(r.XML, `<value>`+room+`</value>`) ||
		!strings.Contains(r.XML, `var="days"`) || !strings.Contains(r.XML, `var="messages"`) ||
		!strings.Contains(r.XML, "at most 100 messages") {
		t.Fatalf("room-retention form: %s", r.XML)
	}
	bad, _ := command(t, alice, "room-retention", r.Command.SessionID, "", map[string]string{"room": room, "days": "7", "messages": "lots"})
	if !strings.Contains(bad.Notes(), `error: Nothing changed: messages must be a whole number`) {
		t.Fatalf("bad messages: %s", bad.XML)
	}
	r, _ = command(t, alice, "room-retention", "", "", nil)
	bad, _ = command(t, alice, "room-retention", r.Command.SessionID, "", map[string]string{"room": "elsewhere@" + domain, "messages": "3"})
	if !strings.Contains(bad.Notes(), "error: You are in no group elsewhere@"+domain) {
		t.Fatalf("another room: %s", bad.XML)
	}
	if n := countMAM(); n < 6 {
		t.Fatalf("a refused command pruned the archive to %d", n)
	}

	r, _ = command(t, alice, "room-retention", "", "", nil)
	done, _ := command(t, alice, "room-retention", r.Command.SessionID, "", map[string]string{"room": room, "days": "", "messages": "3"})
	if done.Command.Status != "completed" || !strings.Contains(done.Notes(), "info: Echo room keeps the last 365 days, at most 3 messages.") {
		t.Fatalf("room-retention: %s", done.XML)
	}
	deadline := time.Now().Add(timeout)
	for countMAM() != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the archive keeps %d messages, want 3", countMAM())
		}
		time.Sleep(50 * time.Millisecond)
	}
	p := queryMAM(t, alice, room, rsmSet(`<max>100</max>`))
	var bodies []string
	for _, m := range p.msgs {
		bodies = append(bodies, m.Result.Forwarded.Message.Body)
	}
	// The newest three: "three" (alice's, Echo One's) and Echo Two's
	// reactions (no body), nothing of the first message.
	if got := strings.Join(bodies, ","); !strings.Contains(got, "three") || strings.Contains(got, "one") {
		t.Errorf("the archive keeps %q, want the newest three", got)
	}

	// More than the gateway keeps is the gateway's.
	r, _ = command(t, alice, "room-retention", "", "", nil)
	done, _ = command(t, alice, "room-retention", r.Command.SessionID, "", map[string]string{"room": room, "days": "30", "messages": "1000"})
	if !strings.Contains(done.Notes(), "info: Echo room keeps the last 30 days, at most 100 messages.") {
		t.Fatalf("room-retention above the gateway's: %s", done.XML)
	}
}
