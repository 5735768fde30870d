package bridge_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomOwnMessageBeforeItsRepeat: the echo network repeats each of
// the user's room messages (Echo One) as it takes it, before it answers
// the send; the repeat reaches the gateway on the event stream, the
// answer on the result stream, in either order. The room's archive, and
// what a joined client gets live, has the user's message first, then
// its repeat, each once: as the network has them. A burst, so that
// reflections wait behind earlier ones (room_order.go) while repeats
// come.
func TestRoomOwnMessageBeforeItsRepeat(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	const n = 40
	for i := range n {
		groupchat(t, alice, fmt.Sprintf("o%02d", i))
	}
	// livePos["nick body"] is the place of each message among those the
	// client got live; mamPos, below, among the room's archived ones.
	livePos := map[string]int{}
	for k := 0; len(livePos) < 2*n; k++ {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		st, err := alice.Next(ctx, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && bareJID(s.From) == room && s.Type == "groupchat" && roomStanzaID(s) != "" && strings.HasPrefix(s.Body, "o")
		})
		cancel()
		if err != nil {
			t.Fatalf("live: %d of %d: %v", len(livePos), 2*n, err)
		}
		key := nick(st.From) + " " + st.Body
		if _, dup := livePos[key]; dup {
			t.Fatalf("received live twice: %s", key)
		}
		livePos[key] = k
	}
	p := queryMAM(t, alice, room, rsmSet(`<max>250</max>`))
	if p.iq.Type != "result" {
		t.Fatalf("query: %s", p.iq.XML)
	}
	mamPos := map[string]int{}
	for i, m := range p.msgs {
		body := m.Result.Forwarded.Message.Body
		if !strings.HasPrefix(body, "o") {
			continue
		}
		key := nick(m.Result.Forwarded.Message.From) + " " + body
		if _, dup := mamPos[key]; dup {
			t.Errorf("archived twice: %s", key)
		}
		mamPos[key] = i
	}
	for i := range n {
		body := fmt.Sprintf("o%02d", i)
		own, repeat := self+" "+body, "Echo One "+body
		for _, c := range []struct {
			what string
			pos  map[string]int
		}{{"live", livePos}, {"archive", mamPos}} {
			o, ok1 := c.pos[own]
			r, ok2 := c.pos[repeat]
			if !ok1 || !ok2 {
				t.Errorf("%s: %s at %d (%v), its repeat at %d (%v)", c.what, body, o, ok1, r, ok2)
				continue
			}
			if r < o {
				t.Errorf("%s: Echo One's repeat of %s (at %d) before the user's message (at %d)", c.what, body, r, o)
			}
		}
	}
}
