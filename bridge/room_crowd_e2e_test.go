package bridge_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// occupantItemRe reads the occupant JIDs of a room's disco#items.
var occupantItemRe = regexp.MustCompile(`<item [^>]*\bjid="([^"]+)"`)

// occupantList pages through the room's disco#items, pageSize a page, and
// returns the nicks listed, in order.
func occupantList(t *testing.T, c *xmpptest.Client, pageSize int) []string {
	t.Helper()
	var nicks []string
	after := ""
	for range 1000 {
		set := fmt.Sprintf(`<set xmlns='http://jabber.org/protocol/rsm'><max>%d</max>%s</set>`, pageSize, after)
		st, err := c.IQ(ctxT(t), `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#items'>`+set+`</query></iq>`)
		if err != nil || st.Type != "result" {
			t.Fatalf("disco#items: %v %s", err, st.XML)
		}
		page := occupantItemRe.FindAllStringSubmatch(st.XML, -1)
		if len(page) == 0 {
			return nicks
		}
		for _, m := range page {
			nicks = append(nicks, nick(m[1]))
		}
		after = `<after>` + xmlEscape(page[len(page)-1][1]) + `</after>`
	}
	t.Fatal("disco#items never ended")
	return nil
}

// TestRoomCrowdJoinCapped: in a group of 52 members with
// room_join_occupants = 10, a join presents 10 occupants, not 52; the
// room's disco#items lists every member and the user, paged; a member
// not presented shows (its presence) before its first message, and its
// chat states before that are not sent; a member never presented
// leaves without a presence, one presented with one.
// Before, the join sent every member's presence (20,000 for a group of
// 20,000) and disco#items was an empty list.
func TestRoomCrowdJoinCapped(t *testing.T) {
	s := newStack(t, stackOptions{extra: "room_join_occupants = 10"})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	groupchat(t, alice, "net-crowd 50")
	groupchat(t, alice, "after")
	roomMessage(t, alice, "", "after")

	second := s.loginResource("alice", "second")
	j := join(t, second, "a", "")
	var presented []string
	for _, o := range j.occupants {
		presented = append(presented, nick(o.From))
	}
	if len(presented) != 10 {
		t.Fatalf("the join presented %d occupants (%s), want the cap's 10", len(presented), strings.Join(presented, ", "))
	}

	listed := occupantList(t, second, 7)
	if len(listed) != 53 || !slices.Contains(listed, nick(j.self.From)) {
		t.Fatalf("disco#items listed %d occupants (%s), want the 52 members and the user", len(listed), strings.Join(listed, ", "))
	}
	for i := 1; i <= 50; i++ {
		if !slices.Contains(listed, fmt.Sprintf("Crowd %d", i)) {
			t.Errorf("Crowd %d not listed", i)
		}
	}

	// Three crowd members the join did not present.
	var hidden []int
	for i := 50; i >= 1 && len(hidden) < 3; i-- {
		if !slices.Contains(presented, fmt.Sprintf("Crowd %d", i)) {
			hidden = append(hidden, i)
		}
	}
	speaker := fmt.Sprintf("Crowd %d", hidden[0])
	groupchat(t, alice, fmt.Sprintf(`net-event {"eventId":"crowd-says","sender":{"userId":"crowd-%d"},"message":{"text":"hello from the crowd"}}`, hidden[0]))
	st, err := second.Next(ctxT(t), func(st xmpptest.Stanza) bool { return st.From == room+"/"+speaker })
	if err != nil {
		t.Fatalf("nothing from %s: %v", speaker, err)
	}
	if st.Name != "presence" || st.Type != "" {
		t.Fatalf("%s spoke before being presented: %s", speaker, st.XML)
	}
	roomMessage(t, second, speaker, "hello from the crowd")

	// One not presented types, then writes: no chat state from a nick
	// the client never saw; its presence comes first, with its words.
	typist := fmt.Sprintf("Crowd %d", hidden[2])
	groupchat(t, alice, fmt.Sprintf(`net-event {"sender":{"userId":"crowd-%d"},"typing":{"state":"TYPING_STATE_COMPOSING"}}`, hidden[2]))
	groupchat(t, alice, fmt.Sprintf(`net-event {"eventId":"crowd-types","sender":{"userId":"crowd-%d"},"message":{"text":"typed"}}`, hidden[2]))
	st, err = second.Next(ctxT(t), func(st xmpptest.Stanza) bool { return st.From == room+"/"+typist })
	if err != nil || st.Name != "presence" || st.Type != "" {
		t.Fatalf("want %s's presence before anything of it, got %v %s", typist, err, st.XML)
	}
	roomMessage(t, second, typist, "typed")

	// One never presented leaves, then one presented does: only the
	// second's unavailable presence comes.
	quiet := fmt.Sprintf("Crowd %d", hidden[1])
	groupchat(t, alice, fmt.Sprintf(`net-event {"member":{"kind":"KIND_LEFT","member":{"userId":"crowd-%d"}}}`, hidden[1]))
	groupchat(t, alice, fmt.Sprintf(`net-event {"member":{"kind":"KIND_LEFT","member":{"userId":"crowd-%d"}}}`, hidden[0]))
	st, err = second.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "presence" && (st.From == room+"/"+quiet || st.From == room+"/"+speaker)
	})
	if err != nil || st.From != room+"/"+speaker || st.Type != "unavailable" {
		t.Fatalf("want %s's unavailable presence first, got %v %s", speaker, err, st.XML)
	}
	if listed := occupantList(t, second, 20); len(listed) != 51 || slices.Contains(listed, quiet) || slices.Contains(listed, speaker) {
		t.Errorf("after two left, disco#items listed %d (%s), want 51 without them", len(listed), strings.Join(listed, ", "))
	}
}

// crowdRoom joins alice's resource "a" to the echo group grown by 50
// members, with room_join_occupants = 10, and joins a second resource,
// "second", which the join presents 10 occupants; it returns the second
// resource and the crowd members (by number) the join did not present.
func crowdRoom(t *testing.T, s *stack) (alice, second *xmpptest.Client, hidden []int) {
	t.Helper()
	alice = roomUser(t, s, "alice")
	join(t, alice, "a", "")
	groupchat(t, alice, "net-crowd 50")
	groupchat(t, alice, "after")
	roomMessage(t, alice, "Echo One", "after") // after the crowd: the same worker renders both
	second = s.loginResource("alice", "second")
	j := join(t, second, "a", "")
	var presented []string
	for _, o := range j.occupants {
		presented = append(presented, nick(o.From))
	}
	for i := 50; i >= 1; i-- {
		if !slices.Contains(presented, fmt.Sprintf("Crowd %d", i)) {
			hidden = append(hidden, i)
		}
	}
	if len(presented) != 10 || len(hidden) < 3 {
		t.Fatalf("the join presented %d occupants (%s), want the cap's 10", len(presented), strings.Join(presented, ", "))
	}
	return alice, second, hidden
}

// TestRoomCrowdModeratorPresentedFirst: in a big group, a member the
// join did not present removes another's message (a group admin's
// delete for everyone): the client gets the moderator's presence before
// the moderation notice that names it (XEP-0425's by, an occupant JID).
// Before, the notice named an occupant the client never saw.
func TestRoomCrowdModeratorPresentedFirst(t *testing.T) {
	s := newStack(t, stackOptions{extra: "room_join_occupants = 10"})
	alice, second, hidden := crowdRoom(t, s)
	author, moderator := fmt.Sprintf("Crowd %d", hidden[0]), fmt.Sprintf("Crowd %d", hidden[1])
	groupchat(t, alice, fmt.Sprintf(`net-event {"eventId":"crowd-spam","sender":{"userId":"crowd-%d"},"message":{"text":"buy cheap pills"}}`, hidden[0]))
	sid := stanzaID(t, roomMessage(t, second, author, "buy cheap pills"))
	groupchat(t, alice, fmt.Sprintf(`net-event {"sender":{"userId":"crowd-%d"},"retraction":{"targetId":"crowd-spam"}}`, hidden[1]))
	st, err := second.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return (st.Name == "presence" && st.From == room+"/"+moderator) || (st.Name == "message" && strings.Contains(st.XML, "<moderated"))
	})
	if err != nil || st.Name != "presence" || st.Type != "" {
		t.Fatalf("want %s's presence before its moderation, got %v %s", moderator, err, st.XML)
	}
	checkModerated(t, second, sid, room+"/"+moderator, oneOccupantID(t, "the moderator's presence", st), "")
}

// TestRoomCrowdPrivateAnswerPresented: in a big group, the user writes
// privately to a member the join did not present (found in the room's
// disco#items); the member's answer comes from its occupant JID
// (room_pm.go), after its presence in the room: the client knows whom
// it answers, and its reply reaches the member. Before, the answer came
// from an occupant the client never saw (Conversations and Dino then
// say the participant is not in the room).
func TestRoomCrowdPrivateAnswerPresented(t *testing.T) {
	s := newStack(t, stackOptions{extra: "room_join_occupants = 10"})
	_, second, hidden := crowdRoom(t, s)
	member := room + "/" + fmt.Sprintf("Crowd %d", hidden[0])
	raw(t, second, `<message type='chat' id='pm1' to='`+member+`'><body>psst</body></message>`)
	st, err := second.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.From == member || st.ID == "pm1" && st.Type == "error"
	})
	if err != nil || st.Name != "presence" || st.Type != "" {
		t.Fatalf("want %s's presence before its answer, got %v %s", member, err, st.XML)
	}
	if _, err := second.Next(ctxT(t), func(st xmpptest.Stanza) bool { return st.Name == "message" && st.From == member && st.Body == "psst" }); err != nil {
		t.Fatalf("no answer from %s: %v", member, err)
	}
	// The reply reaches the member, whose answer needs no presence again.
	raw(t, second, `<message type='chat' id='pm2' to='`+member+`'><body>again</body></message>`)
	st, err = second.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.From == member || st.ID == "pm2" && st.Type == "error"
	})
	if err != nil || st.Name != "message" || st.Body != "again" {
		t.Fatalf("want the answer to the reply from %s, got %v %s", member, err, st.XML)
	}
}

// takeOccupants applies the occupant presences queued for c to shown,
// the nicks c holds as occupants: available adds, unavailable removes.
func takeOccupants(c *xmpptest.Client, shown map[string]bool) {
	done, cancel := context.WithCancel(context.Background())
	cancel() // only what is queued already
	for {
		st, err := c.Next(done, func(st xmpptest.Stanza) bool {
			return st.Name == "presence" && bareJID(st.From) == room && nick(st.From) != "" && !strings.Contains(st.XML, `code="110"`)
		})
		if err != nil {
			return
		}
		shown[nick(st.From)] = st.Type != "unavailable"
	}
}

// TestRoomCrowdSecondJoinTellsTheFirst: in a big group, members the
// first resource was shown leave, so fewer than the cap are presented;
// a second resource's join presents more, up to the cap, and the first
// resource gets their presences too: every occupant of the second is
// one of the first, and a member presented so speaks to both from a
// known nick. Before, the first resource never got those presences,
// and their words later came from occupants it did not know.
func TestRoomCrowdSecondJoinTellsTheFirst(t *testing.T) {
	s := newStack(t, stackOptions{extra: "room_join_occupants = 10"})
	alice := roomUser(t, s, "alice")
	j := join(t, alice, "a", "")
	shown := map[string]bool{}
	for _, o := range j.occupants {
		shown[nick(o.From)] = true
	}
	groupchat(t, alice, "net-crowd 50")
	groupchat(t, alice, "after")
	roomMessage(t, alice, "Echo One", "after") // after the crowd's presences: the same worker renders both
	takeOccupants(alice, shown)
	var gone []string
	for i := 1; i <= 50 && len(gone) < 2; i++ {
		if n := fmt.Sprintf("Crowd %d", i); shown[n] {
			gone = append(gone, n)
			groupchat(t, alice, fmt.Sprintf(`net-event {"member":{"kind":"KIND_LEFT","member":{"userId":"crowd-%d"}}}`, i))
		}
	}
	if len(gone) != 2 {
		t.Fatalf("the first resource was shown %v, want two crowd members among them", shown)
	}
	for _, n := range gone {
		if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
			return st.Name == "presence" && st.From == room+"/"+n && st.Type == "unavailable"
		}); err != nil {
			t.Fatalf("%s left without a presence: %v", n, err)
		}
		shown[n] = false
	}

	second := s.loginResource("alice", "second")
	j2 := join(t, second, "a", "")
	groupchat(t, alice, "sync")
	roomMessage(t, alice, "Echo One", "sync")
	takeOccupants(alice, shown)
	var unknown []string
	for _, o := range j2.occupants {
		if !shown[nick(o.From)] {
			unknown = append(unknown, nick(o.From))
		}
	}
	if len(unknown) > 0 {
		t.Fatalf("the second join presented %s, which the first resource never got", strings.Join(unknown, ", "))
	}
}

// TestRoomCrowdPrivateWritePresents: in a big group, the user writes
// privately to a member the join did not present, who does not answer
// yet; the member is presented as the user writes, so that when it
// changes its nick the client gets the change (303) and moves the
// private chat along. Before, the member stayed unknown: its rename sent
// nothing, its answer came from a nick the client had no window for,
// and the user's words to the old nick found nobody.
func TestRoomCrowdPrivateWritePresents(t *testing.T) {
	s := newStack(t, stackOptions{extra: "room_join_occupants = 10"})
	alice, second, hidden := crowdRoom(t, s)
	member := room + "/" + fmt.Sprintf("Crowd %d", hidden[0])
	// A command the echo network runs: no answer from the member.
	raw(t, second, `<message type='chat' id='pm1' to='`+member+`'><body>/echo-command</body></message>`)
	st, err := second.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "presence" && st.From == member || st.ID == "pm1" && st.Type == "error"
	})
	if err != nil || st.Type != "" {
		t.Fatalf("want %s's presence as the user writes to it, got %v %s", member, err, st.XML)
	}
	groupchat(t, alice, fmt.Sprintf(`net-event {"member":{"kind":"KIND_RENAMED","member":{"userId":"crowd-%d","nick":"Renamed Crowd"}}}`, hidden[0]))
	st, err = second.Next(ctxT(t), func(st xmpptest.Stanza) bool { return st.Name == "presence" && st.From == member })
	if err != nil || st.Type != "unavailable" || !strings.Contains(st.XML, `code="303"`) || !strings.Contains(st.XML, `nick="Renamed Crowd"`) {
		t.Fatalf("want %s's nick change to Renamed Crowd, got %v %s", member, err, st.XML)
	}
}

// TestRoomCrowdProbePresents: in a big group, a client probes the
// presence of a member the join did not present (XEP-0045 occupants
// answer probes, as Prosody's do): the member is presented, to every
// joined resource, so that its leaving later reaches the client. Before,
// the prober alone got its presence, the member stayed unpresented, and
// its leaving sent nothing: the client kept a ghost occupant.
func TestRoomCrowdProbePresents(t *testing.T) {
	s := newStack(t, stackOptions{extra: "room_join_occupants = 10"})
	alice, second, hidden := crowdRoom(t, s)
	member := room + "/" + fmt.Sprintf("Crowd %d", hidden[0])
	raw(t, second, `<presence type='probe' to='`+member+`'/>`)
	for _, c := range []*xmpptest.Client{second, alice} {
		if st, err := c.Next(ctxT(t), func(st xmpptest.Stanza) bool { return st.Name == "presence" && st.From == member }); err != nil || st.Type != "" {
			t.Fatalf("want %s's presence, got %v %s", member, err, st.XML)
		}
	}
	groupchat(t, alice, fmt.Sprintf(`net-event {"member":{"kind":"KIND_LEFT","member":{"userId":"crowd-%d"}}}`, hidden[0]))
	for _, c := range []*xmpptest.Client{second, alice} {
		if st, err := c.Next(ctxT(t), func(st xmpptest.Stanza) bool { return st.Name == "presence" && st.From == member }); err != nil || st.Type != "unavailable" {
			t.Fatalf("want %s's leaving, got %v %s", member, err, st.XML)
		}
	}
}
