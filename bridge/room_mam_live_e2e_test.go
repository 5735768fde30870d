package bridge_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// liveRoomMessage is a room message a joined client received live, with
// the room's stanza-id.
type liveRoomMessage struct {
	id, from, body string
}

// roomStanzaID is the stanza-id by the room in st, "" when it has none.
func roomStanzaID(st xmpptest.Stanza) string {
	for _, m := range stanzaIDRe.FindAllString(st.XML, -1) {
		if strings.Contains(m, ` by="`+room+`"`) {
			if id := idAttrRe.FindStringSubmatch(m); id != nil {
				return id[1]
			}
		}
	}
	return ""
}

// TestRoomMAMLiveAfterRestart: a real client joins the room and sends 60
// messages; Echo One repeats each and Echo Two reacts to each, all live
// with the room's stanza-id. After a gateway restart the client pages
// back through the room with MAM in pages of 50: every message it got
// live, each once, with the stanza-id it got live and the same sender
// and body, each sender's in the order it got them (the user's own in
// the order sent), only the last page complete; then forwards, the same.
func TestRoomMAMLiveAfterRestart(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	const n = 60
	for i := range n {
		groupchat(t, alice, fmt.Sprintf("m%02d", i))
	}
	var live []liveRoomMessage
	seen := map[string]bool{}
	own, repeats := 0, 0
	quiet := time.Time{}
	for {
		// Once every message and its repeat are in, what is still coming
		// (the reactions) gets 2 s of quiet to arrive.
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		if own == n && repeats == n {
			if quiet.IsZero() {
				quiet = time.Now()
			}
			cancel()
			ctx, cancel = context.WithTimeout(context.Background(), 2*time.Second)
		}
		st, err := alice.Next(ctx, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && bareJID(s.From) == room && s.Type == "groupchat"
		})
		cancel()
		if err != nil {
			if own == n && repeats == n {
				break
			}
			t.Fatalf("live: %d own, %d repeats of %d: %v", own, repeats, n, err)
		}
		id := roomStanzaID(st)
		if id == "" {
			continue // not archived (a chat state)
		}
		if seen[id] {
			t.Fatalf("stanza-id %s received live twice: %s", id, st.XML)
		}
		seen[id] = true
		live = append(live, liveRoomMessage{id: id, from: nick(st.From), body: st.Body})
		switch {
		case nick(st.From) == self && strings.HasPrefix(st.Body, "m"):
			own++
		case nick(st.From) == "Echo One" && strings.HasPrefix(st.Body, "m"):
			repeats++
		}
	}
	if len(live) < 2*n {
		t.Fatalf("only %d messages live", len(live))
	}
	t.Logf("%d messages received live", len(live))

	s.stop()
	s.start()
	s.waitGateway(alice)

	// Backwards from the newest, as a client scrolling up the room.
	var got []mamResultMsg
	before := ""
	pages := (len(live) + 49) / 50
	for page := 1; ; page++ {
		p := queryMAM(t, alice, room, rsmSet(`<max>50</max><before>`+before+`</before>`))
		if p.iq.Type != "result" {
			t.Fatalf("page %d: %s", page, p.iq.XML)
		}
		if want := min(50, len(live)-len(got)); len(p.msgs) != want {
			t.Fatalf("page %d has %d messages, want %d", page, len(p.msgs), want)
		}
		if complete := p.fin.Fin.Complete == "true"; complete != (page == pages) {
			t.Fatalf("page %d of %d: complete=%q", page, pages, p.fin.Fin.Complete)
		}
		if p.fin.Fin.Set.First != p.msgs[0].Result.ID || p.fin.Fin.Set.Last != p.msgs[len(p.msgs)-1].Result.ID {
			t.Fatalf("page %d: first/last %s/%s do not match its messages", page, p.fin.Fin.Set.First, p.fin.Fin.Set.Last)
		}
		got = append(append([]mamResultMsg(nil), p.msgs...), got...)
		if page == pages {
			break
		}
		before = p.fin.Fin.Set.First
	}
	// Every message received live is archived once, under the stanza-id
	// it came with, as it came. The archive is in the order messages
	// arrived; live, a member's message is sent just after it is
	// archived, where the user's own are archived and sent in one step,
	// so the two may swap, but each sender's messages are in the same
	// order both ways: the user's own burst in the order sent
	// (room_order.go), the members' as the network told of them.
	byID := map[string]liveRoomMessage{}
	for _, l := range live {
		byID[l.id] = l
	}
	inMAM := map[string]bool{}
	for i, m := range got {
		r := m.Result
		l, ok := byID[r.ID]
		if !ok || inMAM[r.ID] {
			t.Fatalf("archived message %d, %s (%q), was not received live or is a repeat", i, r.ID, r.Forwarded.Message.Body)
		}
		inMAM[r.ID] = true
		if r.Forwarded.Message.Body != l.body || nick(r.Forwarded.Message.From) != l.from {
			t.Fatalf("archived message %s is %s %q, live %s %q", r.ID, nick(r.Forwarded.Message.From), r.Forwarded.Message.Body, l.from, l.body)
		}
		if _, err := time.Parse(time.RFC3339Nano, r.Forwarded.Delay.Stamp); err != nil {
			t.Fatalf("archived message %d: delay %q: %v", i, r.Forwarded.Delay.Stamp, err)
		}
	}
	if len(inMAM) != len(live) {
		t.Fatalf("the archive has %d of the %d messages received live", len(inMAM), len(live))
	}
	for _, sender := range []string{self, "Echo One", "Echo Two"} {
		var liveIDs, mamIDs []string
		for _, l := range live {
			if l.from == sender {
				liveIDs = append(liveIDs, l.id+" "+l.body)
			}
		}
		for _, m := range got {
			if nick(m.Result.Forwarded.Message.From) == sender {
				mamIDs = append(mamIDs, m.Result.ID+" "+m.Result.Forwarded.Message.Body)
			}
		}
		if len(liveIDs) < n || !slices.Equal(liveIDs, mamIDs) {
			t.Errorf("%s's messages: live %v, archived %v", sender, liveIDs, mamIDs)
		}
	}
	// Forwards again from the oldest, as a client catching up: the same.
	after := ""
	for i := 0; i < len(got); {
		set := `<max>50</max>`
		if after != "" {
			set += `<after>` + after + `</after>`
		}
		p := queryMAM(t, alice, room, rsmSet(set))
		for _, m := range p.msgs {
			if i >= len(got) || m.Result.ID != got[i].Result.ID {
				t.Fatalf("forwards, message %d is %s: a gap or a repeat", i, m.Result.ID)
			}
			i++
		}
		if complete := p.fin.Fin.Complete == "true"; complete != (i == len(got)) {
			t.Fatalf("forwards at %d of %d: complete=%q", i, len(live), p.fin.Fin.Complete)
		}
		if len(p.msgs) == 0 {
			t.Fatalf("forwards: an empty page at %d of %d", i, len(live))
		}
		after = p.fin.Fin.Set.Last
	}
}
