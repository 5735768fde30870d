package bridge

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestExpiryKeptNotUndoneByDuplicate: a message the network keeps after
// all (an ExpiryEvent with no deadline) stays kept when the network
// sends the message again (a redelivery, or its copy in a history
// batch): the duplicate's timer, put again in case the first copy's was
// lost, must not bring back the deadline the keep moved.
func TestExpiryKeptNotUndoneByDuplicate(t *testing.T) {
	tr := newTestTransport(t)
	captureDeliveries(tr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go tr.commitLoop(ctx)
	at := time.Now().Add(time.Hour)
	msg := func() *pb.Event {
		return &pb.Event{LoginId: "l", ChatId: "bob", EventId: "m1", ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
			TimestampUnixMicro: time.Now().UnixMicro(), Sender: &pb.Sender{UserId: "bob"},
			Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "keep me", ExpiresUnixMicro: at.UnixMicro()}}}
	}
	keep := &pb.Event{LoginId: "l", ChatId: "bob", EventId: "k1", ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
		TimestampUnixMicro: time.Now().UnixMicro(), Sender: &pb.Sender{UserId: "bob"},
		Payload: &pb.Event_Expiry{Expiry: &pb.ExpiryEvent{TargetId: "m1"}}}
	for _, evs := range [][]*pb.Event{{msg()}, {keep}} {
		if err := <-tr.storeEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	dueBy := func() bool {
		due, _, err := tr.db.DueExpiries(tr.name, at.Add(time.Hour), 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range due {
			if e.RemoteID == "m1" {
				return true
			}
		}
		return false
	}
	if dueBy() {
		t.Fatal("the kept message is still due at its old deadline")
	}
	if err := <-tr.storeEvents(ctx, []*pb.Event{msg()}); err != nil {
		t.Fatal(err)
	}
	if dueBy() {
		t.Fatal("the kept message's duplicate brought its old deadline back: it would be retracted while kept")
	}
}

// TestExpiryKeepRedeliveredAfterUndo: a keep the network delivers again
// (the same event ID: a duplicate, which "costs nothing") after its undo
// must not keep the message again: a duplicate ExpiryEvent's move is
// applied again (in case the first copy's was lost to a crash between
// the commit and the move), but not over a move the network made after
// it.
func TestExpiryKeepRedeliveredAfterUndo(t *testing.T) {
	tr := newTestTransport(t)
	captureDeliveries(tr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go tr.commitLoop(ctx)
	sent := time.Now().Add(-time.Minute)
	msg := &pb.Event{LoginId: "l", ChatId: "bob", EventId: "m1", ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
		TimestampUnixMicro: sent.UnixMicro(), Sender: &pb.Sender{UserId: "bob"},
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "keep me", ExpiresUnixMicro: sent.Add(time.Hour).UnixMicro()}}}
	move := func(id string, after int64) *pb.Event {
		return &pb.Event{LoginId: "l", ChatId: "bob", EventId: id, ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
			TimestampUnixMicro: time.Now().UnixMicro(), Sender: &pb.Sender{UserId: "bob"},
			Payload: &pb.Event_Expiry{Expiry: &pb.ExpiryEvent{TargetId: "m1", ExpiresAfterSeconds: after}}}
	}
	keep := move("keep-1", 0)
	undo := move("keep-2", 3600)
	undo.TimestampUnixMicro++              // after the keep, though in its microsecond
	again := proto.Clone(keep).(*pb.Event) // the same keep, delivered again
	for _, evs := range [][]*pb.Event{{msg}, {keep}, {undo}, {again}} {
		if err := <-tr.storeEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	due, _, err := tr.db.DueExpiries(tr.name, sent.Add(2*time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].RemoteID != "m1" {
		t.Fatalf("deadlines due within two hours: %+v; want m1's, its keep undone", due)
	}
}

// TestExpiryEventHostile: what a plugin may send in an ExpiryEvent that
// means nothing is harmless: one naming no message is ignored, negative
// values keep the message (as both zero do), a huge timer is bounded;
// none is delivered, and each batch is acknowledged.
func TestExpiryEventHostile(t *testing.T) {
	tr := newTestTransport(t)
	ch := captureDeliveries(tr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go tr.commitLoop(ctx)
	sent := time.Now()
	msg := func(id string) *pb.Event {
		return &pb.Event{LoginId: "l", ChatId: "bob", EventId: id, ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
			TimestampUnixMicro: sent.UnixMicro(), Sender: &pb.Sender{UserId: "bob"},
			Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: id, ExpiresUnixMicro: sent.Add(time.Minute).UnixMicro()}}}
	}
	move := func(id string, x *pb.ExpiryEvent) *pb.Event {
		return &pb.Event{LoginId: "l", ChatId: "bob", EventId: id, ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
			TimestampUnixMicro: time.Now().UnixMicro(), Sender: &pb.Sender{UserId: "bob"},
			Payload: &pb.Event_Expiry{Expiry: x}}
	}
	for _, evs := range [][]*pb.Event{{msg("m1"), msg("m2"), msg("m3")},
		{move("x1", &pb.ExpiryEvent{}), move("x2", &pb.ExpiryEvent{TargetId: "m1", ExpiresUnixMicro: -5, ExpiresAfterSeconds: -9}),
			move("x3", &pb.ExpiryEvent{TargetId: "m2", ExpiresAfterSeconds: 1 << 62})}} {
		if err := <-tr.storeEvents(ctx, evs); err != nil {
			t.Fatalf("a batch not acknowledged: %v", err)
		}
	}
	due, next, err := tr.db.DueExpiries(tr.name, sent.Add(time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].RemoteID != "m3" {
		t.Errorf("due within the hour: %+v; want m3 alone (m1 kept, m2 moved far)", due)
	}
	if want := sent.Add((1 << 32) * time.Second); next.After(want.Add(time.Second)) || next.Before(want.Add(-time.Second)) {
		t.Errorf("the next deadline %v: want m2's, bounded to %v", next, want)
	}
	for _, d := range deliveredSoFar(t, tr, ch, chatAddr{"l", "bob"}) {
		if d.ev.GetExpiry() != nil {
			t.Errorf("an ExpiryEvent was delivered: %v", d.ev)
		}
	}
}
