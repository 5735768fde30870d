package bridge_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// historyIDs lists the stanza-ids of a join's history of the echo
// room, in order, and fails on one given twice.
func historyIDs(t *testing.T, what string, h []xmpptest.Stanza) []string {
	t.Helper()
	return channelIDs(t, what, room, h)
}

// echoedAll waits for all the echo group makes of the user's message
// body: Echo One's repeat, then Echo Two's reaction, each archived. The
// user's own copy comes first, but the others may still be on their way
// then: a history read before them is shorter than one read after.
func echoedAll(t *testing.T, c *xmpptest.Client, body string) {
	t.Helper()
	roomMessage(t, c, "Echo One", body)
	if _, err := c.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && st.From == room+"/Echo Two" && strings.Contains(st.XML, `<reactions xmlns="urn:xmpp:reactions:0"`)
	}); err != nil {
		t.Fatalf("no reaction of Echo Two's to %q: %v; pending %v", body, err, c.Pending())
	}
}

// TestRoomRejoinHistoryOnce: a client that leaves the room (its
// unavailable presence) and joins it again gets each archived message
// once in the join's history.
func TestRoomRejoinHistoryOnce(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	groupchat(t, alice, "before")
	echoedAll(t, alice, "before")
	first := join(t, alice, "a", `<history maxstanzas='20'/>`)
	ids := historyIDs(t, "a second join", first.history)
	if err := alice.SendRaw(ctxT(t), `<presence type='unavailable' to='`+room+`/`+self+`'/>`); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "presence" && st.Type == "unavailable" && st.From == room+"/"+self
	}); err != nil {
		t.Fatalf("leaving the room: %v", err)
	}
	again := join(t, alice, "a", "")
	got := historyIDs(t, "the join after a leave", again.history)
	if strings.Join(got, " ") != strings.Join(ids, " ") {
		t.Errorf("history after a leave and rejoin: %v; before the leave %v", got, ids)
	}
}

// joinHistory joins roomJID as nick with x in the join's <x/>, and
// returns the history up to the subject; it fails on a refusal.
func joinHistory(t *testing.T, c *xmpptest.Client, roomJID, nick, x string) []xmpptest.Stanza {
	t.Helper()
	raw(t, c, `<presence to='`+roomJID+`/`+nick+`'><x xmlns='http://jabber.org/protocol/muc'>`+x+`</x></presence>`)
	var h []xmpptest.Stanza
	for {
		st, err := c.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return bareJID(s.From) == roomJID && (s.Type == "error" || strings.Contains(s.XML, "<subject") || strings.Contains(s.XML, `xmlns="urn:xmpp:delay"`))
		})
		switch {
		case err != nil:
			t.Fatalf("join %s: %v", roomJID, err)
		case st.Type == "error":
			t.Fatalf("join %s refused: %s", roomJID, st.XML)
		case strings.Contains(st.XML, "<subject"):
			return h
		case st.Name == "message":
			h = append(h, st)
		}
	}
}

// channelIDs lists the stanza-ids by roomJID of a join's history, in
// order, and fails on one given twice.
func channelIDs(t *testing.T, what, roomJID string, h []xmpptest.Stanza) []string {
	t.Helper()
	seen := map[string]bool{}
	var ids []string
	for _, st := range h {
		m := regexp.MustCompile(`<stanza-id [^>]*by="` + regexp.QuoteMeta(roomJID) + `"[^>]*>`).FindString(st.XML)
		id := idAttrRe.FindStringSubmatch(m)
		if id == nil {
			t.Fatalf("%s: no stanza-id by the room: %s", what, st.XML)
		}
		if seen[id[1]] {
			t.Errorf("%s: the history gives %s twice: %s", what, id[1], st.XML)
		}
		seen[id[1]] = true
		ids = append(ids, id[1])
	}
	return ids
}

// TestChannelLeftAndJoinedAgainHistoryOnce: the user leaves a group on
// the network (/leave in an echo channel) and joins it again by its
// address; the join's history gives each archived message once.
func TestChannelLeftAndJoinedAgainHistoryOnce(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	s.logs.waitLog(t, "contacts synced", timeout)
	ch := channelRoom("again")
	joinHistory(t, alice, ch, "al", "")
	raw(t, alice, `<message type='groupchat' to='`+ch+`'><body>before</body></message>`)
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && bareJID(st.From) == ch && st.Body == "before" && !strings.Contains(st.From, "/al")
	}); err != nil {
		t.Fatalf("the channel's repeat: %v", err)
	}
	ids := channelIDs(t, "a second join", ch, joinHistory(t, alice, ch, "al", `<history maxstanzas='20'/>`))
	if len(ids) == 0 {
		t.Fatal("a second join without history")
	}
	raw(t, alice, `<message type='groupchat' to='`+ch+`'><body>/leave</body></message>`)
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "presence" && st.Type == "unavailable" && bareJID(st.From) == ch && strings.Contains(st.XML, `code="110"`)
	}); err != nil {
		t.Fatalf("leaving the channel: %v", err)
	}
	got := channelIDs(t, "the join after leaving the group", ch, joinHistory(t, alice, ch, "al", `<history maxstanzas='20'/>`))
	if strings.Join(got, " ") != strings.Join(ids, " ") {
		t.Errorf("history after leaving the group and joining it again: %v; before %v", got, ids)
	}
}

// TestRoomHistoryOnceAcrossRejoins: the room's history, on each way
// back into the room, gives each archived message once, in archive
// order, the same ids every time: after a leave, a gateway restart and
// a join, a nick change, a second client's join, with <history/> asking
// by maxstanzas, since and seconds; and a MAM query of the room after
// it all pages through each message once, oldest first.
func TestRoomHistoryOnceAcrossRejoins(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	start := time.Now().Add(-time.Second).UTC()
	groupchat(t, alice, "one")
	echoedAll(t, alice, "one")
	groupchat(t, alice, "two")
	echoedAll(t, alice, "two")
	want := historyIDs(t, "a second join", join(t, alice, "a", `<history maxstanzas='50'/>`).history)
	if len(want) < 2 {
		t.Fatalf("history of two messages: %v", want)
	}
	same := func(what string, h []xmpptest.Stanza) {
		t.Helper()
		if got := historyIDs(t, what, h); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: history %v, want %v", what, got, want)
		}
	}
	leave := func(c *xmpptest.Client, as string) {
		t.Helper()
		raw(t, c, `<presence type='unavailable' to='`+room+`/`+as+`'/>`)
		if _, err := c.Next(ctxT(t), func(st xmpptest.Stanza) bool {
			return st.Name == "presence" && st.Type == "unavailable" && st.From == room+"/"+as && strings.Contains(st.XML, `code="110"`)
		}); err != nil {
			t.Fatalf("leaving the room: %v", err)
		}
	}
	leave(alice, self)
	synced := s.logs.Count(`msg="contacts synced"`)
	s.stop()
	s.start()
	s.waitGateway(alice)
	waitLogCount(t, s, `msg="contacts synced"`, synced+1)
	same("the join after a leave and a restart", join(t, alice, "a", `<history maxstanzas='50'/>`).history)
	same("a join with since", join(t, alice, "a", `<history since='`+start.Format(time.RFC3339)+`'/>`).history)
	same("a join with seconds", join(t, alice, "a", `<history seconds='3600'/>`).history)

	// A nick change is no join: history sent with it would show as
	// doubles in the join that follows.
	raw(t, alice, `<presence to='`+room+`/renamed'/>`)
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "presence" && bareJID(st.From) == room && strings.Contains(st.XML, `code="110"`) && st.Type != "unavailable"
	}); err != nil {
		t.Fatalf("nick change: %v", err)
	}
	j := join(t, alice, "renamed", `<history maxstanzas='50'/>`)
	same("a join after a nick change", j.history)
	self = nick(j.self.From)
	phone := s.loginResource("alice", "phone")
	same("a second client's join", join(t, phone, "renamed", `<history maxstanzas='50'/>`).history)
	leave(alice, self)
	same("the join after the nick change and a leave", join(t, alice, self, `<history maxstanzas='50'/>`).history)

	p := queryMAM(t, alice, room, "")
	var got []string
	var last time.Time
	for _, m := range p.msgs {
		got = append(got, m.Result.ID)
		at, err := time.Parse(time.RFC3339Nano, m.Result.Forwarded.Delay.Stamp)
		if err != nil {
			t.Fatalf("MAM result stamp %q: %v", m.Result.Forwarded.Delay.Stamp, err)
		}
		if at.Before(last) {
			t.Errorf("MAM after the rejoins: %s at %v before the one before it (%v)", m.Result.ID, at, last)
		}
		last = at
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("MAM after the rejoins: %v, want %v", got, want)
	}
}
