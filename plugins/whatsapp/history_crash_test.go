package whatsapp_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestHistorySurvivesPluginCrash: WhatsApp pushes a history sync blob
// once. The plugin sends its batch; the plugin process is killed before
// the host acknowledged it (stored it); the restarted plugin sends it
// again, ahead of history pushed after the restart. Once the host
// acknowledged it, a further restart sends it no more. Before, the spool
// file was removed once its batches were queued, and the batch was lost
// with the process.
func TestHistorySurvivesPluginCrash(t *testing.T) {
	srv, p, _, done := processLoggedIn(t)
	carol := types.NewJID("33633333333", types.DefaultUserServer)
	now := time.Now().Truncate(time.Second)
	push := func(chat types.JID, id, text string) {
		t.Helper()
		if err := srv.History(&waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(),
			Conversations: []*waHistorySync.Conversation{{ID: proto.String(chat.String()),
				Messages: []*waHistorySync.HistorySyncMsg{{Message: pastMsg(chat, chat, id, now.Add(-time.Hour), text)}}}}}); err != nil {
			t.Fatal(err)
		}
	}
	history := func() pb.Transport_HistoryClient {
		t.Helper()
		ctx, cancel := p.CallContext()
		t.Cleanup(cancel)
		h, err := p.Client().History(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	next := func(h pb.Transport_HistoryClient) *pb.HistoryBatch {
		t.Helper()
		b, err := h.Recv()
		if err != nil {
			left, _ := filepath.Glob(filepath.Join(p.LoginDir(), "history", "*"))
			t.Fatalf("History: %v (spool %v)", err, left)
		}
		if len(b.Events) != 1 {
			t.Fatalf("batch of %d events: %v", len(b.Events), b)
		}
		return b
	}
	restart := func() {
		t.Helper()
		p.Restart()
		p.Connect(done.LoginId, done.SavedState)
	}

	// Sent, not acknowledged: the host has not stored it when the
	// plugin dies.
	h := history()
	push(bob, "H1", "pushed once")
	if b := next(h); b.Events[0].EventId != "H1" {
		t.Fatalf("first batch: %v", b)
	}
	restart()
	h = history()
	push(carol, "H2", "pushed after the restart")
	if b := next(h); b.Events[0].EventId != "H1" {
		t.Fatalf("after the crash: %s, want H1 sent again, ahead of H2", b.Events[0].EventId)
	} else if err := h.Send(&pb.HistoryAck{UpToSeq: b.Seq}); err != nil {
		t.Fatal(err)
	}
	// Acknowledged (stored): the next comes, the spool is emptied, and
	// a restart sends neither again.
	if b := next(h); b.Events[0].EventId != "H2" {
		t.Fatalf("once H1 is stored: %s, want H2", b.Events[0].EventId)
	} else if err := h.Send(&pb.HistoryAck{UpToSeq: b.Seq}); err != nil {
		t.Fatal(err)
	}
	spool := filepath.Join(p.LoginDir(), "history")
	deadline := time.Now().Add(plugintest.Timeout)
	for {
		left, _ := filepath.Glob(filepath.Join(spool, "*.hist"))
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("spool files left once the host stored their batches: %v", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
	restart()
	h = history()
	push(bob, "H3", "pushed after the second restart")
	if b := next(h); b.Events[0].EventId != "H3" {
		t.Fatalf("after a restart with everything stored: %s, want H3 (nothing sent again)", b.Events[0].EventId)
	}
}

// TestHistorySyncResentWhole: a history sync of two chats, each its own
// batch; the host had stored the first and not yet the second when the
// plugin was killed, and acknowledged neither. The restarted plugin
// sends the whole sync again, both batches in order, ahead of history
// pushed after the restart: the host's store takes the first again as a
// duplicate (the gateway's side: store.CommitHistory, TestBackfillCrash)
// and the second is not lost. Before, the spool file was removed once
// its batches were queued, and the second batch was lost.
func TestHistorySyncResentWhole(t *testing.T) {
	srv, p, _, done := processLoggedIn(t)
	carol := types.NewJID("33633333333", types.DefaultUserServer)
	now := time.Now().Truncate(time.Second)
	conv := func(chat types.JID, id string) *waHistorySync.Conversation {
		return &waHistorySync.Conversation{ID: proto.String(chat.String()),
			Messages: []*waHistorySync.HistorySyncMsg{{Message: pastMsg(chat, chat, id, now.Add(-time.Hour), "history "+id)}}}
	}
	push := func(convs ...*waHistorySync.Conversation) {
		t.Helper()
		if err := srv.History(&waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(), Conversations: convs}); err != nil {
			t.Fatal(err)
		}
	}
	// received returns the event IDs of the next n batches on a new
	// History stream, acknowledging each when ack.
	received := func(n int, ack bool, before func()) []string {
		t.Helper()
		ctx, cancel := p.CallContext()
		t.Cleanup(cancel)
		h, err := p.Client().History(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if before != nil {
			before()
		}
		var ids []string
		for range n {
			b, err := h.Recv()
			if err != nil {
				t.Fatalf("History: %v (so far %v)", err, ids)
			}
			for _, ev := range b.Events {
				ids = append(ids, ev.EventId)
			}
			if ack {
				if err := h.Send(&pb.HistoryAck{UpToSeq: b.Seq}); err != nil {
					t.Fatal(err)
				}
			}
		}
		return ids
	}
	if got := received(2, false, func() { push(conv(bob, "H1"), conv(carol, "H2")) }); strings.Join(got, ",") != "H1,H2" {
		t.Fatalf("the sync's batches: %v, want H1 then H2", got)
	}
	p.Restart()
	p.Connect(done.LoginId, done.SavedState)
	if got := received(3, true, func() { push(conv(bob, "H3")) }); strings.Join(got, ",") != "H1,H2,H3" {
		t.Fatalf("after the crash: %v, want the whole sync again (H1, H2), then H3", got)
	}
}

// TestHistoryNoticeSurvivesPluginCrash: WhatsApp tells of a history sync
// with a notice, whose receipt whatsmeow sends at once; the plugin
// process is killed before it downloaded the blob. The notice was kept
// in the login's folder: the restarted plugin downloads it and sends
// its batch. Before, whatsmeow downloaded it from a goroutine of its
// own, and the sync was lost with the process (here: never downloaded,
// as the fake's whatsmeow does not dial WhatsApp's media servers).
func TestHistoryNoticeSurvivesPluginCrash(t *testing.T) {
	srv, p, _, done := processLoggedIn(t)
	now := time.Now().Truncate(time.Second)
	srv.HoldHistory(true)
	if err := srv.HistoryNotice(&waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(bob.String()),
			Messages: []*waHistorySync.HistorySyncMsg{{Message: pastMsg(bob, bob, "H1", now.Add(-time.Hour), "told by a notice")}}}}}); err != nil {
		t.Fatal(err)
	}
	notices := func() []string {
		left, _ := filepath.Glob(filepath.Join(p.LoginDir(), "history", "*.notice"))
		return left
	}
	deadline := time.Now().Add(plugintest.Timeout)
	for len(notices()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the notice was not kept in the login's folder")
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.Restart() // killed while the download waits
	srv.HoldHistory(false)
	p.Connect(done.LoginId, done.SavedState)
	ctx, cancel := p.CallContext()
	defer cancel()
	h, err := p.Client().History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Recv()
	if err != nil {
		t.Fatalf("History: %v (notices %v)", err, notices())
	}
	if len(b.Events) != 1 || b.Events[0].EventId != "H1" {
		t.Fatalf("after the crash: %v, want H1", b)
	}
	if err := h.Send(&pb.HistoryAck{UpToSeq: b.Seq}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(plugintest.Timeout); len(notices()) > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("notices left once downloaded: %v", notices())
		}
	}
}
