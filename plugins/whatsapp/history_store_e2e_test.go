package whatsapp_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/bridge/pluginhost"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestHistoryStoredOnceAcrossCrash: the plugin's process under the
// gateway's plugin host, its history stored as the gateway stores it
// (store.CommitHistory, deduplicated by event ID). A history sync of two
// chats: the first batch is stored and the plugin is killed before its
// acknowledgement (so before the second batch, sent, was stored). The
// restarted plugin sends both again: the first is stored no second time,
// the second once, ahead of history pushed after the restart. Before,
// the second batch was lost (its spool file removed once it was queued).
func TestHistoryStoredOnceAcrossCrash(t *testing.T) {
	srv := startRemote(t)
	bin := fakePlugin(t)
	dataDir := t.TempDir()
	config := []byte(fmt.Sprintf(`{"wafake_socket": %q}`, srv.Socket))

	// Log in with the kit, then let the gateway's host run the plugin.
	p := plugintest.Start(t, bin, dataDir, config)
	done := p.LoginSteps("qr", []plugintest.LoginStep{{Act: func(testing.TB, *pb.LoginStep) map[string]string {
		srv.Scan(me, "Alice")
		return nil
	}}})
	loginDir := p.LoginDir()
	p.Kill()

	db, err := store.Open(filepath.Join(t.TempDir(), "passerelle.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	const transport = "whatsapp"

	var (
		mu      sync.Mutex
		changed = make(chan struct{})
		order   []string       // event IDs handed to the store, in order
		fresh   map[string]int // event ID -> times stored as new
	)
	fresh = map[string]int{}
	firstStored := make(chan struct{})
	var held bool
	var h *pluginhost.Host
	h = pluginhost.New(pluginhost.Config{Name: transport, Path: bin, DataDir: dataDir, ConfigJSON: config, Domain: "whatsapp.localhost",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnEvents: func(context.Context, []*pb.Event) <-chan error {
			ch := make(chan error, 1)
			ch <- nil
			return ch
		},
		OnStart: func() { db.HistoryRestarted(transport) },
		OnReady: func(ctx context.Context, _ *pb.Capabilities) {
			c, err := h.Client()
			if err == nil {
				_, err = c.Connect(ctx, &pb.ConnectRequest{LoginId: done.LoginId, UserJid: plugintest.UserJID, SavedState: done.SavedState, LoginDir: loginDir})
			}
			if err != nil && ctx.Err() == nil {
				t.Errorf("Connect: %v", err)
			}
		},
		OnHistory: func(ctx context.Context, b *pb.HistoryBatch) error {
			var in []store.InboundEvent
			for _, ev := range b.Events {
				payload, err := proto.Marshal(ev)
				if err != nil {
					return err
				}
				in = append(in, store.InboundEvent{Seq: b.Seq, LoginID: b.LoginId, ChatID: b.ChatId, DedupID: ev.EventId, Payload: payload})
			}
			res, err := db.CommitHistory(ctx, transport, store.HistoryBatch{LoginID: b.LoginId, ChatID: b.ChatId, Seq: b.Seq, Cursor: b.Cursor, Done: b.Done, Events: in})
			if err != nil {
				return err
			}
			mu.Lock()
			for i, ev := range b.Events {
				order = append(order, ev.EventId)
				if !res.Replayed && res.Fresh[i] {
					fresh[ev.EventId]++
				}
			}
			first := !held
			held = true
			close(changed)
			changed = make(chan struct{})
			mu.Unlock()
			if first {
				// Stored; the plugin dies before it hears so: this
				// returns once the host saw it die.
				close(firstStored)
				<-ctx.Done()
			}
			return nil
		},
		HealthInterval: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { h.Run(ctx); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped })

	// waitFor waits until the store was handed the event IDs want, in
	// that order, from the event after from on.
	waitFor := func(what string, from int, want ...string) {
		t.Helper()
		deadline := time.After(plugintest.Timeout)
		for {
			mu.Lock()
			got := append([]string(nil), order[min(from, len(order)):]...)
			ch := changed
			mu.Unlock()
			n := min(len(got), len(want))
			if strings.Join(got[:n], ",") != strings.Join(want[:n], ",") {
				t.Fatalf("%s: history stored in the order %v, want %v first", what, got, want)
			}
			if n == len(want) {
				return
			}
			select {
			case <-ch:
			case <-deadline:
				t.Fatalf("%s: history stored %v, want %v", what, got, want)
			}
		}
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(order)
	}

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

	wctx, wcancel := context.WithTimeout(ctx, plugintest.Timeout)
	defer wcancel()
	if err := h.WaitReady(wctx); err != nil {
		t.Fatal(err)
	}
	push(conv(bob, "H1"), conv(carol, "H2"))
	select {
	case <-firstStored:
	case <-wctx.Done():
		t.Fatal("the first history batch never reached the store")
	}
	gen := h.Generation()
	if err := syscall.Kill(h.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for h.Generation() == gen { // the host starts the plugin again
		select {
		case <-wctx.Done():
			t.Fatal("the plugin was not started again")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := h.WaitReady(wctx); err != nil {
		t.Fatal(err)
	}
	from := count()
	push(conv(bob, "H3"))
	waitFor("after the crash", from, "H1", "H2", "H3")

	mu.Lock()
	defer mu.Unlock()
	for _, id := range []string{"H1", "H2", "H3"} {
		if fresh[id] != 1 {
			t.Errorf("%s stored %d times, want once", id, fresh[id])
		}
	}
	out, err := db.Outbox(transport)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 {
		t.Errorf("%d events in the store's outbox, want 3 (H1, H2, H3 once each)", len(out))
	}
}
