package bridge

import (
	"bytes"
	"context"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// labelSeq makes each leakLabel unique within the test binary.
var labelSeq atomic.Int64

// leakLabel is a pprof label of its own, which every goroutine started
// under it inherits (and those they start): a goroutine left behind
// still carries it.
type leakLabel struct {
	t      *testing.T
	labels pprof.LabelSet
	want   string
}

func newLeakLabel(t *testing.T) leakLabel {
	value := t.Name() + "#" + strconv.FormatInt(labelSeq.Add(1), 10)
	return leakLabel{t: t, labels: pprof.Labels("leak", value), want: `"leak":"` + value + `"`}
}

// do runs f under the label; the caller's goroutine is unlabelled again
// once f returns.
func (l leakLabel) do(f func(context.Context)) { pprof.Do(context.Background(), l.labels, f) }

// left returns how many goroutines of ours carry the label, and their
// stacks.
func (l leakLabel) left() (int, string) {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		l.t.Fatal(err)
	}
	// Records: "N @ 0x...", then "# labels: {...}", then the stack,
	// then a blank line.
	count := 0
	var stacks strings.Builder
	for rec := range strings.SplitSeq(buf.String(), "\n\n") {
		head, rest, _ := strings.Cut(rec, "\n")
		if !strings.HasPrefix(rest, "# labels: ") || !strings.Contains(strings.SplitN(rest, "\n", 2)[0], l.want) {
			continue
		}
		// Ours only: a library's goroutine (gRPC's reader of a closed
		// connection) may end a moment after the close that ends it.
		if !strings.Contains(rest, "passerelle.im/passerelle/") {
			continue
		}
		n, _ := strconv.Atoi(strings.SplitN(head, " ", 2)[0])
		count += n
		stacks.WriteString(rec + "\n\n")
	}
	return count, stacks.String()
}

// runLabelled runs tr until the stop it returns, which waits for run's
// end; run's goroutines carry l.
func runLabelled(t *testing.T, tr *transport, l leakLabel) (stop func()) {
	t.Helper()
	// Unlabelled again before run's end is told.
	return runUntilStop(t, func(ctx context.Context) { pprof.Do(ctx, l.labels, tr.run) })
}

// aliceStore is a bbolt store in a test folder with alice's echo login.
func aliceStore(t *testing.T) (dir string, db *store.DB) {
	t.Helper()
	dir = t.TempDir()
	db, err := store.Open(filepath.Join(dir, "passerelle.db"))
	must(t, err)
	t.Cleanup(func() { db.Close() })
	must(t, db.PutLogin(context.Background(), store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "alice",
		SavedState: []byte(`{"username":"alice"}`)}))
	return dir, db
}

// runAliceEcho runs a real transport (the echo plugin) on aliceStore's
// store, its goroutines labelled l, with alice's login connected, and
// returns it, alice's session and its stop, which waits for its end.
func runAliceEcho(t *testing.T, dir string, db *store.DB, l leakLabel) (*transport, *session, func()) {
	t.Helper()
	tr, _ := realTransport(t, dir, db)
	stop := runLabelled(t, tr, l)
	if _, err := tr.client(context.Background()); err != nil { // once the logins are connected
		t.Fatal(err)
	}
	s := tr.sessionOf("alice")
	if s == nil {
		t.Fatal("no session for alice's login")
	}
	return tr, s, stop
}

// TestStopWaitsForEchoMapping: the network's echo of the user's send,
// named by its txn, is mapped to the send's ids beside the chat, once
// its own entry is committed. A commit the stop dropped never ends:
// the mapping waited for it for ever, a goroutine left for each such
// echo at each stop, and one that ended after the stop wrote to the
// store the gateway had closed. The stop now ends it, and waits for it.
func TestStopWaitsForEchoMapping(t *testing.T) {
	dir, db := aliceStore(t)
	l := newLeakLabel(t)
	tr, s, stop := runAliceEcho(t, dir, db, l)
	endSend := s.sending.start(sendKey("alice", "bob", "txn1")) // the send under way
	defer endSend()
	d := delivery{
		ev: &pb.Event{LoginId: "alice", ChatId: "bob", EventId: "e1", TxnId: "txn1",
			Sender:  &pb.Sender{IsFromMe: true},
			Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "hi"}}},
		commit: &pendingCommit{done: make(chan struct{})}, // dropped at the stop: never done
	}
	l.do(func(context.Context) {
		if out := tr.render(tr.runCtx(), d); len(out) != 0 {
			t.Errorf("the echo of the user's send rendered as %d stanzas, want it dropped", len(out))
		}
	})
	stop()
	if n, stacks := l.left(); n != 0 {
		t.Errorf("%d goroutines of the transport still run after its stop:\n%s", n, stacks)
	}
}

// TestStopLeavesNoGoroutine: once the transport's run returned (its stop
// waited), none of the goroutines it started, or those started by what
// it ran (the plugin host, the link, the syncs after a relogin), runs.
func TestStopLeavesNoGoroutine(t *testing.T) {
	dir, db := aliceStore(t)
	l := newLeakLabel(t)
	tr, _, stop := runAliceEcho(t, dir, db, l)
	l.do(func(ctx context.Context) {
		if err := tr.relogin(ctx, "alice@localhost"); err != nil {
			t.Errorf("relogin: %v", err)
		}
	})
	stop()
	if n, stacks := l.left(); n != 0 {
		t.Errorf("%d goroutines of the transport still run after its stop:\n%s", n, stacks)
	}
}

// TestChatsPushRefusedOnceClosed: once the stop waits for a direction's
// workers (close), a push starts none: the goroutines the stop waits
// for last (background.go) push history into the lane, and a worker
// started after the lane's wait delivered, and wrote to the store, after
// the transport's run returned. What is refused stays in the outbox.
func TestChatsPushRefusedOnceClosed(t *testing.T) {
	handled := make(chan int, 1)
	c := &chats[int]{handle: func(_ context.Context, v int) { handled <- v }}
	c.close()
	if c.push(chatAddr{"alice", "bob"}, 1) {
		t.Error("a push after the close was taken")
	}
	c.wg.Wait() // a worker started would count in wg
	select {
	case v := <-handled:
		t.Errorf("item %d handled after the close", v)
	default:
	}
}

// TestHistoryRefusedAtStopStaysInOutbox: history handed to the lane once
// the stop waits for it (a fetch ending then, its idle timer or the
// goroutines waited for last) is refused, and nothing of it is lost: it
// stays in the outbox, and the next start delivers it as history.
func TestHistoryRefusedAtStopStaysInOutbox(t *testing.T) {
	dir, db := aliceStore(t)
	tr, _ := realTransport(t, dir, db) // not run: its stop is under way
	l, err := db.GetLogin("echo", "alice@localhost")
	must(t, err)
	tr.setLogin(l)
	tr.hist.lane.close()
	hb := &pb.HistoryBatch{LoginId: "alice", ChatId: "bob", Seq: 1, Done: true, Events: []*pb.Event{
		{EventId: "h1", TimestampUnixMicro: 1, Sender: &pb.Sender{UserId: "bob"},
			Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "old words"}}}}}
	if err := tr.hist.store(context.Background(), hb); err != nil {
		t.Fatalf("storing the history batch: %v", err)
	}
	if n := tr.hist.lane.active(); n != 0 {
		t.Errorf("%d chats of the lane took history after its stop's wait began", n)
	}
	// The next start reads it from the outbox, as history.
	next, _ := realTransport(t, dir, db)
	backlog, err := next.loadOutbox()
	must(t, err)
	found := false
	for _, d := range backlog {
		if d.ev.EventId == "h1" {
			found = true
			if !d.ev.IsBackfill {
				t.Error("the refused history is in the outbox, not marked as history")
			}
		}
	}
	if !found {
		t.Fatal("the history refused at the stop is not in the outbox for the next start")
	}
}
