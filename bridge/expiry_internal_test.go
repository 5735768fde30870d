package bridge

import (
	"context"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// waitDeadline waits until the store holds a deadline for remoteID (a
// read-started timer started), or fails the test.
func waitDeadline(t *testing.T, tr *transport, remoteID string) {
	t.Helper()
	until := time.Now().Add(3 * time.Second)
	for time.Now().Before(until) {
		due, _, err := tr.db.DueExpiries(tr.name, time.Now().Add(24*time.Hour), 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range due {
			if e.RemoteID == remoteID {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the read-started timer of %s never started", remoteID)
}

// TestExpiryReadInSameBatch: a read on the user's other device (a
// ReceiptEvent of theirs) that comes in the same batch as the message it
// covers (both queued while the gateway was away) starts the message's
// read-started timer. Its look-up must wait for the batch's message to
// be known in flight: before, it looked before the batch was, found
// nothing, and the timer never started.
func TestExpiryReadInSameBatch(t *testing.T) {
	for range 20 {
		tr := newTestTransport(t)
		captureDeliveries(tr)
		ctx, cancel := context.WithCancel(context.Background())
		go tr.commitLoop(ctx)
		ts := time.Now().Add(-time.Minute).UnixMicro()
		msg := &pb.Event{LoginId: "l", ChatId: "bob", EventId: "m1", ChatType: pb.ChatType_CHAT_TYPE_DIRECT, TimestampUnixMicro: ts,
			Sender:  &pb.Sender{UserId: "bob"},
			Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "read me", ExpiresAfterReadSeconds: 30}}}
		read := &pb.Event{LoginId: "l", ChatId: "bob", ChatType: pb.ChatType_CHAT_TYPE_DIRECT, TimestampUnixMicro: ts + 1,
			Sender:  &pb.Sender{UserId: "me", IsFromMe: true},
			Payload: &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: pb.ReceiptEvent_KIND_READ, MessageIds: []string{"m1"}}}}
		if err := <-tr.storeEvents(ctx, []*pb.Event{msg, read}); err != nil {
			t.Fatal(err)
		}
		waitDeadline(t, tr, "m1")
		cancel()
	}
}

// readTimerMsg is bob's message id at ts, whose timer of a minute starts
// when the user reads it.
func readTimerMsg(id string, ts time.Time) *pb.Event {
	return &pb.Event{LoginId: "l", ChatId: "bob", EventId: id, ChatType: pb.ChatType_CHAT_TYPE_DIRECT, TimestampUnixMicro: ts.UnixMicro(),
		Sender:  &pb.Sender{UserId: "bob"},
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: id, ExpiresAfterReadSeconds: 60}}}
}

// started reports whether remoteID's read-started timer has started.
func started(t *testing.T, tr *transport, remoteID string) bool {
	t.Helper()
	due, _, err := tr.db.DueExpiries(tr.name, time.Now().Add(24*time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range due {
		if e.RemoteID == remoteID {
			return true
		}
	}
	return false
}

// TestExpiryReadBeforeArrival: a read the user made before a message
// came does not start its timer, even when the message is older (a
// message sent while its sender was offline, or from a sender whose
// clock is behind) and the read recent: the user has not seen it. It
// starts at the user's read of it. Before, a read noted in the minute
// before the message came started its timer on arrival.
func TestExpiryReadBeforeArrival(t *testing.T) {
	tr := newTestTransport(t)
	captureDeliveries(tr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go tr.commitLoop(ctx)
	t0 := time.Now().Add(-time.Minute)
	if err := <-tr.storeEvents(ctx, []*pb.Event{readTimerMsg("new", t0.Add(10*time.Second))}); err != nil {
		t.Fatal(err)
	}
	ref, err := tr.db.LookupRemote(tr.name, "l", "bob", "new")
	if err != nil {
		t.Fatal(err)
	}
	tr.readUpTo(ctx, ref)
	if !started(t, tr, "new") {
		t.Fatal("the read did not start the timer of the message read")
	}
	// The late one, dated before the message read, comes after the read.
	if err := <-tr.storeEvents(ctx, []*pb.Event{readTimerMsg("late", t0)}); err != nil {
		t.Fatal(err)
	}
	if started(t, tr, "late") {
		t.Fatal("a message that came after the read had its timer started by it, unseen")
	}
	ref, err = tr.db.LookupRemote(tr.name, "l", "bob", "late")
	if err != nil {
		t.Fatal(err)
	}
	tr.readUpTo(ctx, ref)
	if !started(t, tr, "late") {
		t.Fatal("the user's read of the late message did not start its timer")
	}
}

// TestExpiryReadWhileCommittingAfterOldRead: a message read while it
// commits has its timer started once it is put, even when the chat's
// noted read is older than a minute and reached further (a message dated
// before the newest read, read at once on arrival). Before, the old mark
// was kept, as the new read reached less far, and then no longer counted:
// the timer never started.
func TestExpiryReadWhileCommittingAfterOldRead(t *testing.T) {
	tr := newTestTransport(t)
	delivered := captureDeliveries(tr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	t0 := time.Now().Add(-time.Hour)
	// Two minutes ago the user read the chat up to a message of t0+1m.
	tr.expiry.reads = map[[2]string][]readMark{{"l", "bob"}: {{upTo: t0.Add(time.Minute), at: time.Now().Add(-2 * time.Minute)}}}
	res := tr.storeEvents(ctx, []*pb.Event{readTimerMsg("late", t0)})
	d := <-delivered
	// The user's client marks it displayed before its commit (nothing
	// drains tr.commits yet).
	ref, err := tr.lookupXMPP(ctx, "l", "bob", d.xid)
	if err != nil {
		t.Fatal(err)
	}
	tr.readUpTo(ctx, ref)
	go tr.commitLoop(ctx)
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	if !started(t, tr, "late") {
		t.Fatal("the timer of a message read while it committed never started")
	}
}

// TestHistoryRetractionNotExpired: RetractionEvent.expired is the
// host's alone, in history too: a plugin's retraction in a history batch
// reaches delivery without it. Before, only live events were cleared.
func TestHistoryRetractionNotExpired(t *testing.T) {
	tr := newTestTransport(t)
	b := newBackfill(tr, 100)
	tr.hist = b
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.resume(ctx, nil)
	got := make(chan delivery, 8)
	b.lane.handle = func(_ context.Context, ds []delivery) {
		for _, d := range ds {
			got <- d
		}
	}
	tr.setLogin(store.Login{Transport: "echo", UserJID: "u@localhost", LoginID: "l"})
	ev := &pb.Event{EventId: "r1", TimestampUnixMicro: 2, Sender: &pb.Sender{UserId: "b"},
		Payload: &pb.Event_Retraction{Retraction: &pb.RetractionEvent{TargetId: "m1", Expired: true}}}
	if err := b.store(ctx, &pb.HistoryBatch{Seq: 1, LoginId: "l", ChatId: "c", Cursor: "k", Done: true, Events: []*pb.Event{ev}}); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-got:
		if d.ev.GetRetraction().GetExpired() {
			t.Error("a plugin's history retraction reached delivery marked expired, the host's own mark")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the history retraction never reached delivery")
	}
}

// TestExpiryRebuildKeepsFiles: a message with files whose deadline
// outlives its map entry (a timer longer than message_retention) is
// retracted whole: the entry put back from the deadline counts its files
// (and the caption beside them), which the retraction names one by one.
// Before, the entry came back without them and the files stayed.
func TestExpiryRebuildKeepsFiles(t *testing.T) {
	tr := newTestTransport(t)
	captureDeliveries(tr)
	tr.setLogin(store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "l"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go tr.commitLoop(ctx)
	at := time.Now().Add(time.Hour)
	msg := &pb.Event{LoginId: "l", ChatId: "bob", EventId: "m1", ChatType: pb.ChatType_CHAT_TYPE_DIRECT, TimestampUnixMicro: time.Now().UnixMicro(),
		Sender: &pb.Sender{UserId: "bob"},
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "two photos", ExpiresUnixMicro: at.UnixMicro(),
			Attachments: []*pb.Attachment{{Name: "1.jpg", Source: &pb.Attachment_Data{Data: []byte("a")}}, {Name: "2.jpg", Source: &pb.Attachment_Data{Data: []byte("b")}}}}}}
	if err := <-tr.storeEvents(ctx, []*pb.Event{msg}); err != nil {
		t.Fatal(err)
	}
	waitDeadline(t, tr, "m1")
	// message_retention's pruning of the map entry.
	if n, err := tr.db.PruneMessages(ctx, time.Now().Add(time.Minute)); err != nil || n == 0 {
		t.Fatalf("PruneMessages = %d, %v", n, err)
	}
	due, _, err := tr.db.DueExpiries(tr.name, at, 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("deadlines %+v, %v", due, err)
	}
	if !tr.expire(ctx, due) {
		t.Fatal("expire failed")
	}
	ref, err := tr.db.LookupRemote(tr.name, "l", "bob", "m1")
	if err != nil {
		t.Fatal(err)
	}
	if ref.Files != 2 || !ref.Text {
		t.Errorf("map entry put back with %d files, text %v; want 2 files and the text", ref.Files, ref.Text)
	}
}
