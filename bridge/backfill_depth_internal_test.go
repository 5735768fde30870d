package bridge

import (
	"context"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"

	"passerelle.im/passerelle/bridge/metrics"
	pb "passerelle.im/passerelle/plugins/proto"
)

// outboxDepth scrapes reg's passerelle_outbox_depth of the echo transport.
func outboxDepth(t *testing.T, reg *metrics.Registry) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	reg.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	m := regexp.MustCompile(`(?m)^passerelle_outbox_depth\{transport="echo"\} (\S+)$`).FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatalf("no outbox depth in %s", rec.Body.String())
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestStoredHistoryCountedWaiting: the stored history a stop left
// undelivered counts in the outbox depth from the start, every chat of
// it, though the lane takes a few chunks at a time and a chat's turn
// comes after the chats before it. Only what entered the lane counted:
// the gauge read 0 between two chunks while thousands waited, and a
// stop after "nothing waits" left them in the outbox
// (TestBackfillGatewayRestart failed so in a clean-clone CI).
func TestStoredHistoryCountedWaiting(t *testing.T) {
	tr := newTestTransport(t)
	reg := metrics.New()
	tr.metrics = reg.Transport("echo", metrics.Probe{})
	b := newBackfill(tr, 100)
	hold := make(chan struct{})
	defer close(hold)
	b.lane.handle = func(ctx context.Context, _ []delivery) {
		select {
		case <-hold:
		case <-ctx.Done():
		}
	}
	const perChat = histQueued + 10
	var backlog []delivery
	for _, chat := range []string{"echo-1", "echo-2"} {
		for i := range perChat {
			backlog = append(backlog, delivery{key: uint64(len(backlog) + 1), ev: &pb.Event{LoginId: "l", ChatId: chat, IsBackfill: true,
				TimestampUnixMicro: int64(i + 1), Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "old"}}}})
		}
	}
	live := delivery{key: 9999, ev: &pb.Event{LoginId: "l", ChatId: "echo-1", Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "live"}}}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if rest := b.resume(ctx, append(backlog, live)); len(rest) != 1 {
		t.Fatalf("resume left %d deliveries, want the live one", len(rest))
	}
	if got := outboxDepth(t, reg); got != float64(2*perChat) {
		t.Errorf("outbox depth %v with the stored history waiting, want %d", got, 2*perChat)
	}
}
