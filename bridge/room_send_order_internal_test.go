package bridge

import (
	"context"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// renderHeld renders a member's message in the room and returns its
// copies and its turn to write them, not written yet: the window between
// the room's lock and the write that deliverNow has.
func renderHeld(t *testing.T, tr *transport, s *session, text string) ([][]byte, *sendTurn) {
	t.Helper()
	ev := &pb.Event{LoginId: "alice-echo", ChatId: "g1", ChatType: pb.ChatType_CHAT_TYPE_GROUP, EventId: "ev-" + text,
		TimestampUnixMicro: time.Now().UnixMicro(), Sender: &pb.Sender{UserId: "echo-1"},
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}}
	turn := new(sendTurn)
	out := tr.renderRoom(context.Background(), delivery{ev: ev, turn: turn}, s)
	if len(out) != 2 {
		t.Fatalf("copies: %d, want 2", len(out))
	}
	return out, turn
}

// whileHeld runs act (a resource leaving, or joining again) in the window
// between a message's copies being made and written, then writes them and
// ends their turn. act runs on its own goroutine: once it has taken its
// own turn in the room it waits there for the message's.
func whileHeld(t *testing.T, tr *transport, r *room, out [][]byte, turn *sendTurn, act func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { act(); close(done) }()
	for ready := false; !ready; {
		select {
		case <-done:
			ready = true // written at once, without waiting for the message's copies
		default:
			r.sends.mu.Lock()
			ready = r.sends.next > turn.tk+1 // act holds a later turn
			r.sends.mu.Unlock()
			if !ready {
				time.Sleep(time.Millisecond)
			}
		}
	}
	for _, b := range out {
		tr.send(context.Background(), b)
	}
	turn.done()
	<-done
}

// indexOf is the place of the first stanza to the phone that is.
func indexOf(sent []*wire.Stanza, is func(*wire.Stanza) bool) int {
	for i, st := range sent {
		if st.To() == "alice@localhost/phone" && is(st) {
			return i
		}
	}
	return -1
}

func isHeld(st *wire.Stanza) bool {
	b, _ := st.Body()
	return b == "on its way"
}

// A resource that leaves while a member's message is on its way to the
// room's resources gets it before its own leave presence, not after it
// (when it is out of the room). Before, the leave was written at once,
// and the message, made while it was joined, after it.
func TestRoomLeaveAfterHeldMessage(t *testing.T) {
	tr, s, r, sent := occupantFixture(t)
	sent()
	out, turn := renderHeld(t, tr, s, "on its way")
	whileHeld(t, tr, r, out, turn, func() {
		occupantStanza(t, tr, `<presence from='alice@localhost/phone' to='g1@echo.localhost/Alice' type='unavailable'/>`)
	})
	got := sent()
	msg := indexOf(got, isHeld)
	left := indexOf(got, func(st *wire.Stanza) bool { return st.Kind() == "presence" && st.Type() == "unavailable" })
	if msg < 0 || left < 0 || msg > left {
		t.Fatalf("message at %d, leave presence at %d: want the message first; sent %v", msg, left, got)
	}
}

// A resource joining again (a client back after a reconnect) while a
// member's message is on its way gets the message live and then once in
// its join's history, never live after that history (twice in the
// joined room, with the same stanza-id).
func TestRoomRejoinDuringHeldMessage(t *testing.T) {
	tr, s, r, sent := occupantFixture(t)
	sent()
	out, turn := renderHeld(t, tr, s, "on its way")
	whileHeld(t, tr, r, out, turn, func() {
		occupantStanza(t, tr, `<presence from='alice@localhost/phone' to='g1@echo.localhost/Alice' id='j2'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='10'/></x></presence>`)
	})
	got := sent()
	self := indexOf(got, func(st *wire.Stanza) bool { return st.Kind() == "presence" && st.ID() == "j2" })
	var after int
	for i, st := range got {
		if i > self && st.To() == "alice@localhost/phone" && isHeld(st) {
			after++
		}
	}
	if self < 0 || after != 1 {
		t.Fatalf("after the join's self-presence (at %d) the message came %d times, want once (its history); sent %v", self, after, got)
	}
}
