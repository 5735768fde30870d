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
	x.put(a, "m1", recentMsg{text: "hi"})
	if x.asks(a) {
		t.Fatal("a message that asked for nothing makes its chat ask")
	}
	x.put(a, "m2", recentMsg{receipt: true})
	x.put(a, "m2", recentMsg{receipt: true}) // the same message twice (id and origin-id)
	x.put(b, "m3", recentMsg{markable: true})
	if !x.asks(a) || !x.asks(b) {
		t.Fatalf("asks(alice) = %v, asks(bob) = %v; want both", x.asks(a), x.asks(b))
	}
	x.put(a, "m2", recentMsg{}) // replaced by one that asks nothing
	if x.asks(a) {
		t.Error("alice still asks after her only asking message was replaced")
	}
	for i := range 10001 {
		x.put(a, fmt.Sprint("filler", i), recentMsg{text: "x"})
	}
	if x.asks(b) {
		t.Error("bob still asks after his message was evicted")
	}
	if len(x.asking) != 0 {
		t.Errorf("counters left: %v", x.asking)
	}
}

// TestRecentsPerChat: two users' clients may give their messages the same
// ID; each chat keeps its own, so a quote or a receipt never takes the
// other's, and one replacing its own does not stop the other asking.
func TestRecentsPerChat(t *testing.T) {
	var x recents
	a, b := chatKey("l1", "alice"), chatKey("l2", "alice")
	x.put(a, "1", recentMsg{text: "secret of l1", receipt: true})
	x.put(b, "1", recentMsg{text: "l2's words", markable: true})
	if got := x.get(a, "1"); got.text != "secret of l1" || !got.receipt || got.markable {
		t.Errorf("l1's message 1 = %+v", got)
	}
	if got := x.get(b, "1"); got.text != "l2's words" || got.receipt || !got.markable {
		t.Errorf("l2's message 1 = %+v", got)
	}
	x.put(b, "1", recentMsg{text: "l2 again"})
	if !x.asks(a) {
		t.Error("l1's chat stopped asking when l2 replaced its own message 1")
	}
	if x.asks(b) {
		t.Error("l2's chat still asks")
	}
}

// TestRecentsRetext: a correction sets the remembered text of the
// message under each of its ids it is remembered by, and remembers
// nothing new.
func TestRecentsRetext(t *testing.T) {
	var x recents
	x.put("c", "id1", recentMsg{text: "helo", receipt: true})
	x.put("c", "oid1", recentMsg{text: "helo", receipt: true})
	x.retext("c", "hello", "id1", "oid1", "", "unknown")
	for _, id := range []string{"id1", "oid1"} {
		if r := x.get("c", id); r.text != "hello" || !r.receipt {
			t.Errorf("%s after the correction: %+v", id, r)
		}
	}
	if r := x.get("c", "unknown"); r.chat != "" {
		t.Errorf("a correction remembered a message it did not know: %+v", r)
	}
}
