package bridge

import (
	"bufio"
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

// leakLabel runs f under a pprof label of its own, which every goroutine
// f starts inherits (and those they start), and returns a count of the
// goroutines still carrying it: a goroutine f left behind.
func leakLabel(t *testing.T, f func(ctx context.Context)) (left func() int) {
	t.Helper()
	value := t.Name() + "#" + strconv.FormatInt(labelSeq.Add(1), 10)
	pprof.Do(context.Background(), pprof.Labels("leak", value), f)
	want := `"leak":"` + value + `"`
	return func() int {
		var buf bytes.Buffer
		if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
			t.Fatal(err)
		}
		// Records: "N @ 0x...", then "# labels: {...}", then the stack.
		n, count := 0, 0
		sc := bufio.NewScanner(&buf)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if head, _, ok := strings.Cut(line, " @ 0x"); ok {
				n, _ = strconv.Atoi(head)
				continue
			}
			if strings.HasPrefix(line, "# labels: ") && strings.Contains(line, want) {
				count += n
			}
		}
		return count
	}
}

// runAliceEcho runs a real transport (the echo plugin, a bbolt store)
// with alice's login connected, and returns it, alice's session and its
// stop, which waits for the transport's end.
func runAliceEcho(t *testing.T) (*transport, *session, func()) {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "passerelle.db"))
	must(t, err)
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	must(t, db.PutLogin(ctx, store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "alice",
		SavedState: []byte(`{"username":"alice"}`)}))
	tr, _ := realTransport(t, dir, db)
	stop := runTransport(t, tr)
	if _, err := tr.client(ctx); err != nil { // once the logins are connected
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
	tr, s, stop := runAliceEcho(t)
	endSend := s.sending.start(sendKey("alice", "bob", "txn1")) // the send under way
	defer endSend()
	d := delivery{
		ev: &pb.Event{LoginId: "alice", ChatId: "bob", EventId: "e1", TxnId: "txn1",
			Sender:  &pb.Sender{IsFromMe: true},
			Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "hi"}}},
		commit: &pendingCommit{done: make(chan struct{})}, // dropped at the stop: never done
	}
	left := leakLabel(t, func(ctx context.Context) {
		if out := tr.render(tr.runCtx(), d); len(out) != 0 {
			t.Errorf("the echo of the user's send rendered as %d stanzas, want it dropped", len(out))
		}
	})
	stop()
	if n := left(); n != 0 {
		t.Errorf("%d goroutines the echo's delivery started still run after the transport stopped", n)
	}
}
