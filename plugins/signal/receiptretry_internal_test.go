package signal

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/signal/rpc"
)

// A chat marked read whose receipt Signal refused for a rate limit
// (twice) has it sent later, with no mark of the user's again: the
// sender's app shows the message read. Before, the refusal was only
// logged, and the receipt waited for the chat's next mark.
func TestReadReceiptRetriedAfterRateLimit(t *testing.T) {
	was := receiptRetryWait
	receiptRetryWait = 10 * time.Millisecond
	t.Cleanup(func() { receiptRetryWait = was })
	d, group := startFriends(t)
	gid := group.ID
	s := dialedSession(t, d, &recordingHost{}, t.TempDir())
	chat := groupChatID(gid)
	const ts = 1700000000000
	s.noteChat(ts, chat, bob)

	for range 2 {
		d.FailNext("sendReceipt", rpc.CodeRateLimit, "Failed to send message due to rate limiting")
	}
	err := s.MarkRead(context.Background(), sdk.Call{ChatID: chat}, &pb.MarkRead{UpToMeta: metaOf(bob, ts)})
	if sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_RATE_LIMITED {
		t.Fatalf("the mark: %v, want it rate limited", err)
	}
	// Waited for until the retry noted the mark, its last write to the
	// login's folder: a receipt seen on its way, the test ended while
	// the retry still wrote there, and the folder's removal could fail.
	for deadline := time.Now().Add(20 * time.Second); s.marks.upTo(chat) < ts; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the mark never went through after the rate limits (%d sendReceipt)", d.Calls("sendReceipt"))
		}
	}
	for _, r := range d.Requests(alice) {
		if r.Method == "sendReceipt" && r.Params["type"] == "read" && slices.Contains(anyList(r.Params["recipient"]), bob) {
			return
		}
	}
	t.Fatalf("the mark went through, no read receipt to bob: %v", d.Requests(alice))
}

// anyList is a JSON value read as a list of strings (a string alone is
// one).
func anyList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// heldRetries has the receipt retries wait for the test: each is sent
// on the channel given back instead of its timer, for the test to run.
func heldRetries(t *testing.T) chan func() {
	t.Helper()
	was := receiptRetryAfter
	held := make(chan func(), 8)
	receiptRetryAfter = func(_ time.Duration, f func()) { held <- f }
	t.Cleanup(func() { receiptRetryAfter = was })
	return held
}

// nextRetry is the next retry held, waited for up to 20 s.
func nextRetry(t *testing.T, held chan func()) func() {
	t.Helper()
	select {
	case f := <-held:
		return f
	case <-time.After(20 * time.Second):
		t.Fatal("no receipt retry was scheduled")
		return nil
	}
}

// The retries' bookkeeping keeps a chat only while its mark is under
// way or waiting to be made again: a mark through, a retry through, and
// a retry replaced by a later mark leave nothing. Before, every chat
// ever marked kept an entry for good.
func TestReceiptRetriesPruned(t *testing.T) {
	held := heldRetries(t)
	d, group := startFriends(t)
	s := dialedSession(t, d, &recordingHost{}, t.TempDir())
	ctx := context.Background()
	chat := groupChatID(group.ID)
	const ts = 1700000000000
	mark := func(chatID string, ts int64) error {
		t.Helper()
		s.noteChat(ts, chatID, bob)
		return s.MarkRead(ctx, sdk.Call{ChatID: chatID}, &pb.MarkRead{UpToMeta: metaOf(bob, ts)})
	}
	isRateLimited := func(err error) {
		t.Helper()
		if sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_RATE_LIMITED {
			t.Fatalf("the mark: %v, want it rate limited", err)
		}
	}

	if err := mark(chat, ts); err != nil {
		t.Fatal(err)
	}
	if err := mark(bob, ts+1); err != nil {
		t.Fatal(err)
	}
	if n := s.receiptRetries.pending(); n != 0 {
		t.Fatalf("two marks through: %d chats kept for retries, want 0", n)
	}

	// A retry through.
	d.FailNext("sendReceipt", rpc.CodeRateLimit, "Failed to send message due to rate limiting")
	isRateLimited(mark(chat, ts+2))
	if n := s.receiptRetries.pending(); n != 1 {
		t.Fatalf("a mark waiting to be made again: %d chats kept, want 1", n)
	}
	nextRetry(t, held)()
	if s.marks.upTo(chat) != ts+2 {
		t.Fatal("the retry did not make the mark")
	}
	if n := s.receiptRetries.pending(); n != 0 {
		t.Fatalf("the retry through: %d chats kept, want 0", n)
	}

	// A retry a later mark replaced.
	d.FailNext("sendReceipt", rpc.CodeRateLimit, "Failed to send message due to rate limiting")
	isRateLimited(mark(bob, ts+3))
	retry := nextRetry(t, held)
	if err := mark(bob, ts+4); err != nil {
		t.Fatal(err)
	}
	retry()
	if n := s.receiptRetries.pending(); n != 0 {
		t.Fatalf("a retry replaced by a later mark: %d chats kept, want 0", n)
	}
}

// A mark waiting to be made again after a rate limit ends when the
// login disconnects, as the README says: its retry, due after the next
// connection, sends nothing, and the chat's next mark sends it (or the
// next subscription, from the login's folder, which this connection
// made by hand has not: TestReceiptRetryResumedAfterRestart). Before,
// it went on across the reconnection.
func TestReceiptRetryEndsAtDisconnect(t *testing.T) {
	held := heldRetries(t)
	d, group := startFriends(t)
	s := dialedSession(t, d, &recordingHost{}, t.TempDir())
	ctx := context.Background()
	chat := groupChatID(group.ID)
	const ts = 1700000000000
	s.noteChat(ts, chat, bob)
	d.FailNext("sendReceipt", rpc.CodeRateLimit, "Failed to send message due to rate limiting")
	err := s.MarkRead(ctx, sdk.Call{ChatID: chat}, &pb.MarkRead{UpToMeta: metaOf(bob, ts)})
	if sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_RATE_LIMITED {
		t.Fatalf("the mark: %v, want it rate limited", err)
	}
	retry := nextRetry(t, held)

	if err := s.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	// Connected again, as dialedSession connects (Connect's onUp would
	// read the groups into the login's folder meanwhile, the test over).
	s.mu.Lock()
	s.c, s.up = rpc.Dial(d.Path(), rpc.Options{}), true
	s.mu.Unlock()
	sent := d.Calls("sendReceipt")
	retry()
	if n := d.Calls("sendReceipt"); n != sent || s.marks.upTo(chat) == ts {
		t.Fatalf("the retry after a disconnection and a new connection sent %d receipts (mark made: %v), want none", n-sent, s.marks.upTo(chat) == ts)
	}
	if n := s.receiptRetries.pending(); n != 0 {
		t.Fatalf("after the disconnection: %d chats kept for retries, want 0", n)
	}

	// The chat's next mark sends it.
	if err := s.MarkRead(ctx, sdk.Call{ChatID: chat}, &pb.MarkRead{UpToMeta: metaOf(bob, ts)}); err != nil {
		t.Fatalf("the next mark: %v", err)
	}
	if s.marks.upTo(chat) != ts {
		t.Fatal("the next mark did not go through")
	}
}

// A mark refused for a rate limit whose answer comes after the logout
// removed the login's folder files, before the connection is closed
// (Logout of a linked account closes it last), writes no
// receipt-retries.json again. Before, the file came back after the
// logout deleted it.
func TestReceiptRetryNotWrittenAfterLogout(t *testing.T) {
	heldRetries(t)
	d, group := startFriends(t)
	dir := t.TempDir()
	s := dialedSession(t, d, &recordingHost{}, dir)
	chat := groupChatID(group.ID)
	const ts = 1700000000000
	s.noteChat(ts, chat, bob)
	m := &pb.MarkRead{UpToMeta: metaOf(bob, ts)}
	gen := s.receiptRetries.supersede(chat) // the mark under way
	if err := s.removeLocal(); err != nil {
		t.Fatal(err)
	}
	limited := sdk.Errorf(pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "rate limited")
	s.retryIfRateLimited(sdk.Call{ChatID: chat}, m, limited, gen, receiptRetryWait, false)
	if _, err := os.Stat(filepath.Join(dir, pendingReceiptsFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s after the logout removed it: %v, want none", pendingReceiptsFile, err)
	}
}
