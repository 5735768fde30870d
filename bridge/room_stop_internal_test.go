package bridge

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/pluginhost"
	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/internal/syncbuf"
)

// stopPresences returns the indexes in got of the shutdown presences
// (status 332) to each of the room's joined resources.
func stopPresences(got []*wire.Stanza) map[string]int {
	at := map[string]int{}
	for i, st := range got {
		x := st.Child("http://jabber.org/protocol/muc#user", "x")
		if st.Kind() != "presence" || st.Type() != "unavailable" || x == nil {
			continue
		}
		for _, c := range x.Children {
			if c.XMLName.Local == "status" && c.Attr("code") == "332" {
				at[st.To()] = i
			}
		}
	}
	return at
}

// closeStop runs closeRoomsAtStop and fails the test if it does not
// return: a stop that hangs holds the gateway's shutdown.
func closeStop(t *testing.T, tr *transport, started func()) {
	t.Helper()
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: tr.log}) // displayName asks it
	done := make(chan struct{})
	go func() { tr.closeRoomsAtStop(); close(done) }()
	if started != nil {
		started()
	}
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("closeRoomsAtStop did not return: the shutdown hangs")
	}
}

// TestRoomStopAfterEarlierWrite: a room's writer that took its turn
// before the stop (a message archived, its copies not yet written)
// writes first; the shutdown presences follow it, on each joined
// resource, so that no stanza-id comes after the room said it closed.
func TestRoomStopAfterEarlierWrite(t *testing.T) {
	tr, _, r, sent := linkedRoom(t)
	r.mu.Lock()
	earlier := r.sendTurnLocked()
	r.mu.Unlock()
	closeStop(t, tr, func() {
		// Once the stop holds its turn, after earlier's.
		for {
			r.sends.mu.Lock()
			taken := r.sends.next > earlier.tk+1
			r.sends.mu.Unlock()
			if taken {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		tr.send(context.Background(), []byte(`<message to="alice@localhost/phone" from="g1@echo.localhost/One" type="groupchat" id="earlier"><body>before the stop</body></message>`))
		earlier.done()
	})
	got := sent()
	msg := -1
	for i, st := range got {
		if st.ID() == "earlier" {
			msg = i
		}
	}
	at := stopPresences(got)
	for _, to := range []string{"alice@localhost/phone", "alice@localhost/laptop"} {
		i, ok := at[to]
		switch {
		case !ok:
			t.Errorf("no shutdown presence to %s", to)
		case msg < 0 || i < msg:
			t.Errorf("the shutdown presence to %s (at %d) before the earlier writer's message (at %d)", to, i, msg)
		}
	}
}

// TestRoomStopWithStuckWriter: a room's writer that took its turn and
// never ends it does not hold the stop, and the stop still tells the
// joined resources. Before, the stop waited for the turn as long as it
// waits in all (sendWait and stopWait, 2 s each), then queued its
// presences with its time up: each went or not as the link's queue and
// the expired wait came out of a select.
func TestRoomStopWithStuckWriter(t *testing.T) {
	tr, _, r, sent := linkedRoom(t)
	r.mu.Lock()
	stuck := r.sendTurnLocked()
	r.mu.Unlock()
	defer stuck.done()
	closeStop(t, tr, nil)
	at := stopPresences(sent())
	for _, to := range []string{"alice@localhost/phone", "alice@localhost/laptop"} {
		if _, ok := at[to]; !ok {
			t.Errorf("no shutdown presence to %s past a stuck writer", to)
		}
	}
}

// TestRoomStopWindowWritesInOrder: in the stop window, the room's other
// writers (a network message's copies, a reflection of the user's own)
// hold the transport's context, ended already. Each message is in the
// room's archive, for the rejoin's history and a client's catch-up from
// the last stanza-id it saw; so none of their copies may be written
// after one that was not, or that catch-up starts past the one missed.
// Before, the link queued a stanza with an ended context or refused it
// as a select picked, at random: some copies went, others not, in any
// order. Now a writer whose context ended writes nothing, and the stop's
// own presences still go.
func TestRoomStopWindowWritesInOrder(t *testing.T) {
	tr, s, r, sent := linkedRoom(t)
	stopped, stop := context.WithCancel(context.Background())
	stop()
	const n = 40
	for i := range n {
		copy := []byte(`<message to="alice@localhost/phone" from="g1@echo.localhost/One" type="groupchat" id="late-` + strconv.Itoa(i) + `"><body>in the stop window</body></message>`)
		r.mu.Lock()
		turn := r.sendTurnLocked()
		r.mu.Unlock()
		if i%2 == 0 {
			s.writeInTurn(stopped, turn, [][]byte{copy}) // room_order.go
		} else {
			turn.wait()
			tr.unconfirmed.sendOrKeep(stopped, delivery{idx: -1}, [][]byte{copy}) // a reflection (room_in.go)
			turn.done()
		}
	}
	closeStop(t, tr, nil)
	got := sent()
	var written []string
	for _, st := range got {
		if strings.HasPrefix(st.ID(), "late-") {
			written = append(written, st.ID())
		}
	}
	if len(written) > 0 {
		t.Errorf("copies written with the stop's ended context, %d of %d: %v", len(written), n, written)
	}
	at := stopPresences(got)
	for _, to := range []string{"alice@localhost/phone", "alice@localhost/laptop"} {
		if _, ok := at[to]; !ok {
			t.Errorf("no shutdown presence to %s", to)
		}
	}
}

// TestRoomJoinAfterStopRefused: a join the stop's shutdown presences
// came before (one answered with a context that outlives the stop, as a
// join by ID the room sync completes) is refused service-unavailable,
// the resource not joined. Before, it was answered after them: the
// resource took itself for joined to a room the next process did not
// know it was in.
func TestRoomJoinAfterStopRefused(t *testing.T) {
	tr, s, r, sent := occupantFixture(t)
	closeStop(t, tr, nil)
	sent()
	st, err := wire.Parse(`<presence from='alice@localhost/tablet' to='g1@echo.localhost/Alice' id='j1'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	if err != nil {
		t.Fatal(err)
	}
	from, to := jid.MustParse(st.From()), jid.MustParse(st.To())
	tr.joinRoom(context.Background(), st, s, r, "g1", from, to, muc.Join{MUC: true}, nil)
	got := sent()
	if cond, _ := errorOf(t, got); cond != string(wire.ServiceUnavailable) || len(got) != 1 {
		t.Errorf("a join after the stop: got %s and %d stanzas, want service-unavailable alone", cond, len(got))
	}
	r.mu.Lock()
	joined := r.joined["tablet"]
	r.mu.Unlock()
	if joined {
		t.Error("the resource joined after the stop")
	}
}

// TestRoomStopWithNoOccupantQuiet: a stop with no room joined tells no
// one, and says so at debug, not info (most stops); one with occupants
// says how many at info. Before, every stop logged "presences=0" at
// info.
func TestRoomStopWithNoOccupantQuiet(t *testing.T) {
	for _, joined := range []bool{false, true} {
		tr, _, r, _ := linkedRoom(t)
		if !joined {
			r.mu.Lock()
			clear(r.joined)
			r.mu.Unlock()
		}
		logs := &syncbuf.Buffer{}
		tr.log = slog.New(slog.NewTextHandler(logs, nil)) // info, as an operator reads it
		closeStop(t, tr, nil)
		n := strings.Count(logs.String(), "level=INFO msg=\"rooms' occupants told of the stop\"")
		if want := map[bool]int{false: 0, true: 1}[joined]; n != want {
			t.Errorf("joined resources: %v: %d info lines of the stop, want %d:\n%s", joined, n, want, logs)
		}
	}
}
