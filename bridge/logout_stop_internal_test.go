package bridge

import (
	"context"
	"testing"
	"time"
)

// TestLogoutAtStopBounded: a logout the stop's wait gave up on has its
// context ended (a send of it into a full queue of a link gone down would
// otherwise block for good, and the stop with it), and one begun after
// the stop's wait has a deadline of its own.
func TestLogoutAtStopBounded(t *testing.T) {
	var l logoutsInFlight
	ctx, done := l.begin(context.Background())
	defer done()
	if l.wait(10 * time.Millisecond) {
		t.Fatal("wait: no logout under way, with one begun")
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the logout's context outlived the stop's wait")
	}

	var l2 logoutsInFlight
	if !l2.wait(time.Millisecond) {
		t.Fatal("wait with no logout under way")
	}
	late, done2 := l2.begin(context.Background())
	defer done2()
	if _, ok := late.Deadline(); !ok {
		t.Fatal("a logout begun after the stop's wait has no deadline")
	}
}
