package bridge

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/pluginhost"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestDirectEchoBeforeResult: in a direct chat, the network's echo
// of the user's own message (is_from_me, event_id = the ID the send's
// result names) may reach the gateway before that result is stored: the
// result and the event come on different streams, and are handled side
// by side. The echo must not be shown to the user as a message from
// another device: their client shows the message already, and a second
// copy ("You wrote from another device: ...", or a carbon under another
// id) is a duplicate. Rooms dealt with it (room_in.go, archiveSent);
// direct chats showed the echo.
func TestDirectEchoBeforeResult(t *testing.T) {
	for _, tc := range []struct {
		name string
		// resultFirst stores the send's result after the echo was
		// checked for duplicates but before its delivery.
		resultFirst bool
	}{{"result after the echo", false}, {"result between the echo's dedup and its delivery", true}} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTestTransport(t)
			tr.domain = "echo.localhost"
			tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: slog.New(slog.DiscardHandler)})
			s := tr.setLogin(store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "l", DisplayName: "Alice"})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go tr.commitLoop(ctx)

			gate := make(chan struct{})
			out := make(chan [][]byte, 4)
			tr.out.handle = chatDelivery{t: tr, now: func(ctx context.Context, d delivery) {
				if d.xid == "marker" {
					out <- nil
					return
				}
				<-gate
				out <- tr.render(ctx, d)
			}}.deliver

			// The user's client sends "hi" (origin-id o1, id m1): the
			// command is under way, as sendMessage has it.
			done := s.startSend("l", "bob", "o1", "m1", recentMsg{text: "hi"})
			result := func() {
				s.remember(ctx, sentMsg{chatID: "bob", txn: "o1", originID: "o1", id: "m1"},
					&pb.CommandResult{MessageId: "net-a", TimestampUnixMicro: time.Now().UnixMicro()})
				done()
			}
			echo := &pb.Event{Seq: 1, LoginId: "l", ChatId: "bob", ChatType: pb.ChatType_CHAT_TYPE_DIRECT, EventId: "net-a",
				Sender: &pb.Sender{UserId: "l", IsFromMe: true}, TimestampUnixMicro: time.Now().UnixMicro(),
				Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "hi"}}}
			res := tr.storeEvents(ctx, []*pb.Event{echo})
			if tc.resultFirst {
				result()
				close(gate)
			} else {
				close(gate)
				time.Sleep(200 * time.Millisecond)
				result()
			}
			if err := <-res; err != nil {
				t.Fatal(err)
			}
			var shown [][]byte
			select {
			case shown = <-out:
			case <-time.After(10 * time.Second):
				t.Fatal("the echo was never handled")
			}
			if len(shown) != 0 {
				t.Errorf("the echo of the user's own message was shown to them again: %s", shown[0])
			}
			// What the user's send recorded still stands: a correction
			// of m1 finds the message, a resend of o1 is recognised.
			if ref, err := tr.db.LookupXMPP("echo", "l", "bob", "m1"); err != nil || ref.RemoteID != "net-a" {
				t.Errorf("the user's message m1 = %+v, %v; want net-a", ref, err)
			}
			if sent, err := tr.db.SentBefore("echo", "l", "bob", "o1"); err != nil || !sent {
				t.Errorf("a resend of o1 is not recognised (%v, %v): it would reach the network twice", sent, err)
			}
		})
	}
}

// TestOwnMessagesDuringLongSend: while a send of the user's takes
// long (a file uploading for minutes), the messages they write on their
// phone in that chat are not each held for the echo wait: one wait that
// found no result stands for the rest of that send, or a dozen messages
// would hold the chat, and the contact's answers behind them, for a
// minute.
func TestOwnMessagesDuringLongSend(t *testing.T) {
	tr := newTestTransport(t)
	tr.domain = "echo.localhost"
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: slog.New(slog.DiscardHandler)})
	s := tr.setLogin(store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "l", DisplayName: "Alice"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go tr.commitLoop(ctx)
	out := make(chan time.Time, 8)
	tr.out.handle = chatDelivery{t: tr, now: func(ctx context.Context, d delivery) { out <- time.Now() }}.deliver

	done := s.startSend("l", "bob", "o1", "m1", recentMsg{text: "a big file"})
	defer done()
	start := time.Now()
	var evs []*pb.Event
	for i := range 3 {
		evs = append(evs, &pb.Event{Seq: uint64(i + 1), LoginId: "l", ChatId: "bob", ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
			EventId: "phone-" + string(rune('a'+i)), Sender: &pb.Sender{UserId: "l", IsFromMe: true}, TimestampUnixMicro: time.Now().UnixMicro(),
			Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "from the phone"}}})
	}
	if err := <-tr.storeEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	var last time.Time
	for range 3 {
		select {
		case last = <-out:
		case <-time.After(4 * targetWait):
			t.Fatal("the phone's messages were not delivered")
		}
	}
	if took := last.Sub(start); took > targetWait+2*time.Second {
		t.Errorf("three messages from the phone during a long send took %v to be delivered; want about one echo wait (%v)", took, targetWait)
	}
}
