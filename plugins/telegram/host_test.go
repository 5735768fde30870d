package telegram

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// testHost is the gateway's side, in process: it keeps what the plugin
// emits.
type testHost struct {
	mu      sync.Mutex
	events  []*pb.Event
	history []*pb.HistoryBatch
	changed chan struct{}
	// durableErr, when set, is EmitDurable's answer, the event lost: as
	// the SDK's journal failing (a full disk, the plugin shutting down).
	durableErr error
	failed     chan struct{} // closed at the first failure of durableErr
	// hold, when set, keeps EmitDurable waiting for its answer: a
	// gateway that has not confirmed yet (holdDurable).
	hold *durableHold
	logs logBuffer // what the session logs, at Info and above
}

// logBuffer keeps what the session logs, for tests that look at it.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newTestHost() *testHost { return &testHost{changed: make(chan struct{})} }

func (h *testHost) add(ev *pb.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, proto.Clone(ev).(*pb.Event))
	close(h.changed)
	h.changed = make(chan struct{})
}

func (h *testHost) Emit(ev *pb.Event)                              { h.add(ev) }
func (h *testHost) EmitWait(_ context.Context, ev *pb.Event) error { h.add(ev); return nil }
func (h *testHost) EmitDurable(_ context.Context, ev *pb.Event) error {
	h.mu.Lock()
	if hold := h.hold; hold != nil {
		h.mu.Unlock()
		select {
		case hold.got <- proto.Clone(ev).(*pb.Event):
		default:
		}
		<-hold.done
		if hold.err != nil {
			return hold.err
		}
		h.add(ev)
		return nil
	}
	err := h.durableErr
	if err != nil && h.failed != nil {
		close(h.failed)
		h.failed = nil
	}
	h.mu.Unlock()
	if err != nil {
		return err
	}
	h.add(ev)
	return nil
}

// failDurable makes EmitDurable fail with err (nil: succeed again); the
// channel is closed once it failed.
func (h *testHost) failDurable(err error) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.durableErr = err
	h.failed = make(chan struct{})
	return h.failed
}

// durableHold is a gateway not confirming durable events until
// released.
type durableHold struct {
	got  chan *pb.Event // each event held, as it comes
	done chan struct{}  // closed at the release
	err  error          // the answer at the release
}

// holdDurable keeps each EmitDurable waiting, unconfirmed, until
// release: with err, the events are lost (the session ended before
// the gateway confirmed them); nil, confirmed. got has the events held.
func (h *testHost) holdDurable() (got <-chan *pb.Event, release func(err error)) {
	hold := &durableHold{got: make(chan *pb.Event, 64), done: make(chan struct{})}
	h.mu.Lock()
	h.hold = hold
	h.mu.Unlock()
	return hold.got, func(err error) {
		h.mu.Lock()
		h.hold = nil
		h.mu.Unlock()
		hold.err = err
		close(hold.done)
	}
}

func (h *testHost) SendHistory(_ context.Context, b *pb.HistoryBatch) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.history = append(h.history, proto.Clone(b).(*pb.HistoryBatch))
	close(h.changed)
	h.changed = make(chan struct{})
	return nil
}

func (h *testHost) Logger() *slog.Logger {
	var w io.Writer = &h.logs
	if testing.Verbose() {
		w = io.MultiWriter(&h.logs, os.Stderr)
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// wait waits for an event that f accepts, after the first from.
func (h *testHost) wait(t *testing.T, from int, what string, f func(*pb.Event) bool) *pb.Event {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		h.mu.Lock()
		for _, ev := range h.events[min(from, len(h.events)):] {
			if f(ev) {
				h.mu.Unlock()
				return ev
			}
		}
		ch := h.changed
		h.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			h.mu.Lock()
			defer h.mu.Unlock()
			for _, ev := range h.events {
				t.Logf("event: %v", ev)
			}
			t.Fatalf("no %s in 20 s", what)
		}
	}
}

func (h *testHost) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.events)
}

// The people of the tests.
var (
	alice = tgfake.User{ID: 1001, FirstName: "Alice", LastName: "Liddell", Username: "alice", Phone: "33600000001", Code: "12345", Password: "hunter2", Hint: "the usual"}
	bob   = tgfake.User{ID: 1002, FirstName: "Bob", Username: "bob", Phone: "33600000002", Code: "22222"}
	carol = tgfake.User{ID: 1003, FirstName: "Carol", Phone: "33600000003", Code: "33333"}
)

// newFake starts a fake Telegram with alice, bob and carol, bob a
// contact of alice's, and a group of the three.
func newFake(t *testing.T) *tgfake.Server {
	t.Helper()
	srv, err := tgfake.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.AddUser(alice)
	srv.AddUser(bob)
	srv.AddUser(carol)
	srv.AddContact(alice.ID, bob.ID)
	srv.AddGroup(tgfake.Group{ID: 77, Title: "Wonderland", About: "tea party", Members: []int64{alice.ID, bob.ID, carol.ID}, Admins: []int64{bob.ID}, Creator: alice.ID})
	return srv
}

// configFor is the transport config for srv.
func configFor(t *testing.T, srv *tgfake.Server) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"api_id": 17, "api_hash": "0123456789abcdef", "server": srv.ServerConfig(), "history_limit": 5})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newNetwork is an initialised network on srv.
func newNetwork(t *testing.T, srv *tgfake.Server) (*Network, *testHost) {
	t.Helper()
	h := newTestHost()
	n := New()
	if _, err := n.Init(context.Background(), sdk.InitRequest{ConfigJSON: configFor(t, srv), DataDir: t.TempDir()}, h); err != nil {
		t.Fatal(err)
	}
	return n, h
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitHistory waits for the history batch number i.
func (h *testHost) waitHistory(t *testing.T, i int) *pb.HistoryBatch {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		h.mu.Lock()
		if len(h.history) > i {
			b := h.history[i]
			h.mu.Unlock()
			return b
		}
		ch := h.changed
		h.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no history batch %d in 20 s", i)
		}
	}
}
