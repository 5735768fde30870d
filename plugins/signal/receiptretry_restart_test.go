package signal_test

import (
	"slices"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
	"passerelle.im/passerelle/plugins/signal/rpc"
)

// A read receipt Signal refused for a rate limit, waiting to be sent
// again, outlives the plugin: killed before its retry, the plugin
// started again sends it once the login is connected, with no mark of
// the user's again, and the sender's app shows the message read.
// Before, the retry was in memory only, and the receipt waited for the
// chat's next mark, which may never come.
func TestReceiptRetryResumedAfterRestart(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, Message: fakesignal.Text("read me later")}})
	msg := s.next(isText("read me later"))
	d.FailNext("sendReceipt", rpc.CodeRateLimit, "Failed to send message due to rate limiting")
	res := s.do(bob, &pb.MarkRead{UpToId: msg.EventId, UpToMeta: msg.Meta})
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_RATE_LIMITED {
		t.Fatalf("the mark: %v, want it rate limited", res.Error)
	}
	// Its retry waits a minute: the plugin is killed long before.
	s.crash()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		for _, r := range d.Requests(alice) {
			if r.Method == "sendReceipt" && r.Params["type"] == "read" && slices.Contains(anyStrings(r.Params["recipient"]), bob) &&
				slices.Contains(r.Params["targetTimestamp"].([]any), any(float64(at))) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no read receipt of %d to bob after the restart: %v", at, d.Requests(alice))
		}
	}
}
