package bridge

import (
	"fmt"
	"testing"
)

// TestRecentsAsks: a chat "asks" while a remembered message of it asked
// for a receipt or a marker, and stops once that message is replaced or
// evicted.
func TestRecentsAsks(t *testing.T) {
	var x recents
	a, b := chatKey("l", "alice"), chatKey("l", "bob")
	x.put("m1", recentMsg{text: "hi", chat: a})
	if x.asks(a) {
		t.Fatal("a message that asked for nothing makes its chat ask")
	}
	x.put("m2", recentMsg{receipt: true, chat: a})
	x.put("m2", recentMsg{receipt: true, chat: a}) // the same message twice (id and origin-id)
	x.put("m3", recentMsg{markable: true, chat: b})
	if !x.asks(a) || !x.asks(b) {
		t.Fatalf("asks(alice) = %v, asks(bob) = %v; want both", x.asks(a), x.asks(b))
	}
	x.put("m2", recentMsg{chat: a}) // replaced by one that asks nothing
	if x.asks(a) {
		t.Error("alice still asks after her only asking message was replaced")
	}
	for i := range 10001 {
		x.put(fmt.Sprint("filler", i), recentMsg{text: "x"})
	}
	if x.asks(b) {
		t.Error("bob still asks after his message was evicted")
	}
	if len(x.asking) != 0 {
		t.Errorf("counters left: %v", x.asking)
	}
}
