package signal

import (
	"context"
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
