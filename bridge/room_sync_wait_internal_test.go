package bridge

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/pluginhost"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// syncWaitFixture is a transport whose plugin has not started (its
// capabilities unknown), with alice's login and no room yet: a start,
// while the outbox's backlog is delivered.
func syncWaitFixture(t *testing.T) (*transport, *session, *pb.Event) {
	t.Helper()
	tr := newTestTransport(t)
	tr.domain = "echo.localhost"
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: slog.New(slog.DiscardHandler)})
	s := tr.setLogin(store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "alice-echo", DisplayName: "Alice"})
	ev := &pb.Event{EventId: "kept", LoginId: "alice-echo", ChatId: "g1", ChatType: pb.ChatType_CHAT_TYPE_GROUP, IsBackfill: true,
		TimestampUnixMicro: time.Now().UnixMicro(), Sender: &pb.Sender{UserId: "echo-1"},
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "kept at the stop"}}}
	return tr, s, ev
}

// A group's message the outbox kept across a stop is delivered after
// the start before the plugin runs and the login's rooms are known: it
// waits for the first room sync, then goes to its room's archive. It was
// dropped as "of a group the user is not in", so lost
// (TestEndToEndHistoryOnDemand saw it under load in CI).
func TestRoomEventWaitsForRoomSync(t *testing.T) {
	tr, s, ev := syncWaitFixture(t)
	go func() {
		time.Sleep(50 * time.Millisecond) // the plugin starts, the rooms come
		r, _ := s.rooms.add("g1", func() *room {
			return &room{chatID: "g1", jid: "g1@echo.localhost", members: map[string]*pb.Member{}, names: map[string]string{},
				nicks: muc.NewNicks(), joined: map[string]bool{}}
		})
		s.updateRoom(context.Background(), r, &pb.Chat{ChatId: "g1", Type: pb.ChatType_CHAT_TYPE_GROUP, Name: "G",
			Members: []*pb.Member{{UserId: "alice-echo"}, {UserId: "echo-1", Nick: "One"}}}, false)
		s.roomsSyncDone()
	}()
	tr.renderRoom(context.Background(), delivery{ev: ev, xid: "x1"}, s)
	if n := archivedCount(t, tr, s); n != 1 {
		t.Fatalf("%d messages in the group's archive after the first room sync, want the one kept", n)
	}
}

// A group the first room sync did not bring stays unknown: its event is
// dropped then (logged), not waited for again.
func TestRoomEventNoRoomAfterSync(t *testing.T) {
	tr, s, ev := syncWaitFixture(t)
	s.roomsSyncDone()
	done := make(chan struct{})
	go func() {
		tr.renderRoom(context.Background(), delivery{ev: ev, xid: "x2"}, s)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("waited for a room sync that had ended")
	}
}

// Until the first room sync, an event of an unknown group waits however
// long the login takes to connect (it was dropped after a minute, so
// lost when the network was down at the start). The gateway's stop ends
// the wait without taking the event out of the outbox: it comes again at
// the next start. A session no longer its login's (the user logged out)
// ends it too.
func TestRoomEventWaitsUntilStopOrLogout(t *testing.T) {
	tr, s, ev := syncWaitFixture(t)
	tr.doneKeys = make(chan delivery, 4)
	old := sessionCheck
	sessionCheck = 20 * time.Millisecond
	defer func() { sessionCheck = old }()

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		tr.deliverNow(ctx, delivery{ev: ev, xid: "x1", key: 7})
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("the event stopped waiting for the first room sync")
	case <-time.After(300 * time.Millisecond): // many session checks
	}
	stop()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the stop did not end the wait")
	}
	select {
	case d := <-tr.doneKeys:
		t.Fatalf("the stop took event %d out of the outbox: it would be lost", d.key)
	default:
	}

	// alice logs out: her session is no longer the login's.
	done = make(chan struct{})
	go func() {
		tr.deliverNow(context.Background(), delivery{ev: ev, xid: "x1", key: 7})
		close(done)
	}()
	time.Sleep(100 * time.Millisecond) // the event waits
	tr.mu.Lock()
	delete(tr.byLogin, s.LoginID())
	tr.mu.Unlock()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the event still waits for a session that ended")
	}
}

// TestKnownRoomEndsSyncWait: an event of a group the session does not
// know waits for the first room sync, which a failed chat list leaves
// undone until the next connect; the room becoming known meanwhile (the
// user joins it: findRoom, setRoom) ends the wait, so that the event,
// and the chat's later events queued behind it, are delivered while the
// user sits in the room (found by review).
func TestKnownRoomEndsSyncWait(t *testing.T) {
	tr, s, ev := syncWaitFixture(t)
	old := sessionCheck
	sessionCheck = 20 * time.Millisecond
	defer func() { sessionCheck = old }()
	done := make(chan struct{})
	go func() {
		defer close(done)
		tr.renderRoom(context.Background(), delivery{ev: ev, xid: "x1"}, s)
	}()
	time.Sleep(100 * time.Millisecond)
	// The first ChatList failed: no roomsSyncDone. The user joins the
	// room, which findRoom makes known.
	r, _ := s.rooms.add("g1", func() *room {
		return &room{chatID: "g1", jid: "g1@echo.localhost", members: map[string]*pb.Member{}, names: map[string]string{},
			nicks: muc.NewNicks(), joined: map[string]bool{"phone": true}}
	})
	s.updateRoom(context.Background(), r, &pb.Chat{ChatId: "g1", Type: pb.ChatType_CHAT_TYPE_GROUP, Name: "G",
		Members: []*pb.Member{{UserId: "alice-echo"}, {UserId: "echo-1", Nick: "One"}}}, false)
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Error("the group's event still waits for a room sync that will not come, though its room is known and joined")
	}
	s.roomsSyncDone() // let the goroutine end
	<-done
}

// TestRoomSyncRunAfterStop: a room sync cut short by its context (the
// plugin died during the chat list) while another call asked for one
// more run leaves no run marked under way: the next connect's sync
// starts, and a CONNECTED state still sees the failed sync. Before, the
// run stayed marked for good and no room sync ever started again (found
// by review). And a CONNECTED state while a sync runs asks for one more
// (it may have begun while the network was still connecting).
func TestRoomSyncRunAfterStop(t *testing.T) {
	var r roomSyncRun
	if !r.start() || r.start() {
		t.Fatal("the first run did not start alone")
	}
	if !r.retryWanted() {
		t.Error("a CONNECTED state while a sync runs asks for no other")
	}
	if again := r.done(true, true); again {
		t.Error("a run whose context ended goes again")
	}
	if !r.start() {
		t.Error("after a run cut short with another asked for, no room sync can start again")
	}
	if again := r.done(true, false); again {
		t.Error("a run goes again that no call asked for")
	}
	if !r.retryWanted() {
		t.Error("the failed chat list is not seen, so a CONNECTED state would not sync the rooms")
	}
}
