package bridge

import (
	"context"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestRoomEchoTxnOtherID: the network's echo of the user's room
// message, carrying the send's txn (the contract's Event.txn_id) but
// another event ID than the send's result gave, is the reflection's
// message: not archived or shown again, whether it comes after the
// result is stored or while the send is under way. A reaction naming
// the echo's ID names the reflection's stanza-id. The echo was archived
// and shown a second time (its ID was no duplicate of the result's).
func TestRoomEchoTxnOtherID(t *testing.T) {
	tr, s, r, sent := linkedRoom(t)
	ctx := context.Background()
	echo := func(eventID, txn, text string) *pb.Event {
		ev := groupEv(nil)
		ev.EventId, ev.TxnId, ev.Sender = eventID, txn, &pb.Sender{UserId: s.LoginID(), IsFromMe: true}
		ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}
		return ev
	}
	userMsg := func(id, text string) *wire.Stanza {
		st, err := wire.Parse(`<message from='alice@localhost/phone' to='g1@echo.localhost' id='` + id + `' type='groupchat'><body>` + text +
			`</body><origin-id xmlns='urn:xmpp:sid:0' id='o-` + id + `'/></message>`)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	shown := func(text string) (n int, sid string) {
		t.Helper()
		for _, got := range sent() {
			if bodyIs(got, text) && got.To() == "alice@localhost/laptop" {
				n++
				sid = stanzaIDOf(got)
			}
		}
		return n, sid
	}
	render := func(ev *pb.Event) {
		for _, b := range tr.renderRoom(ctx, delivery{ev: ev, xid: "x-" + ev.EventId}, s) {
			tr.send(ctx, b)
		}
	}

	// The send's result stored, then its echo under another ID.
	s.reflect(ctx, userMsg("m2", "two"), r, &pb.CommandResult{MessageId: "net-m2", TimestampUnixMicro: time.Now().UnixMicro()},
		&sentMsg{chatID: r.chatID, txn: "o-m2", originID: "o-m2", id: "m2"}, nil)
	render(echo("net-m2-echo", "o-m2", "two"))
	n, sid := shown("two")
	if n != 1 {
		t.Errorf("the user's message and its echo with the txn under another ID: %d copies on the laptop, want 1", n)
	}

	// The echo while the send is under way; the result after.
	done := s.startSend(s.LoginID(), r.chatID, "o-m3", "m3", recentMsg{text: "three"})
	render(echo("net-m3-echo", "o-m3", "three"))
	s.reflect(ctx, userMsg("m3", "three"), r, &pb.CommandResult{MessageId: "net-m3", TimestampUnixMicro: time.Now().UnixMicro()},
		&sentMsg{chatID: r.chatID, txn: "o-m3", originID: "o-m3", id: "m3"}, nil)
	done()
	if n, _ := shown("three"); n != 1 {
		t.Errorf("an echo with the txn of a send under way, then its result: %d copies on the laptop, want 1", n)
	}
	if n := archivedCount(t, tr, s); n != 3 {
		t.Errorf("the room's archive holds %d messages, want m1, m2 and m3 once", n)
	}

	// A member's reaction to the echo's ID names the user's message.
	deadline := time.Now().Add(10 * time.Second)
	for !tr.sentByUser(s.LoginID(), r.chatID, "net-m2-echo") {
		if time.Now().After(deadline) {
			t.Fatal("the echo's ID never named the user's message")
		}
		time.Sleep(10 * time.Millisecond)
	}
	react := groupEv(nil)
	react.EventId, react.Sender = "re-1", &pb.Sender{UserId: "echo-2"}
	react.Payload = &pb.Event_Reaction{Reaction: &pb.ReactionEvent{TargetId: "net-m2-echo", Emojis: []string{"👍"}}}
	render(react)
	found := false
	for _, got := range sent() {
		if rs := got.Child(nsReactions, "reactions"); rs != nil && got.To() == "alice@localhost/laptop" {
			found = true
			if rs.Attr("id") != sid {
				t.Errorf("a reaction to the echo's ID names %q, want the reflection's stanza-id %s", rs.Attr("id"), sid)
			}
		}
	}
	if !found {
		t.Error("the reaction to the echo's ID was not shown")
	}
}
