package bridge_test

import "testing"

// TestInvalidUTF8FromPlugin: an event whose strings are not UTF-8 (which
// Go's protobuf decoder refuses; testdata/badutf8 sends it) arrives with
// U+FFFD in their place, and the event after it arrives too: the
// plugin's stream is not ended and replayed for ever.
func TestInvalidUTF8FromPlugin(t *testing.T) {
	addr := freePort(t)
	s := newStack(t, stackOptions{plugin: testPlugin(t, "badutf8"), extra: "\n[metrics]\nlisten = \"" + addr + "\"\n"})
	alice := registered(t, s, "alice")
	sendChat(t, alice, "bob@"+domain, "one")
	bad := nextMessage(t, alice, "bob@"+domain, timeout)
	if bad.Type != "chat" || bad.Body != "bad @@\uFFFDVALID@@ one" {
		t.Fatalf("want the repaired event first, got %s", bad.XML)
	}
	good := nextMessage(t, alice, "bob@"+domain, timeout)
	if good.Type != "chat" || good.Body != "good one" {
		t.Fatalf("want the good event after it, got %s", good.XML)
	}
	// The stream still carries what comes next.
	sendChat(t, alice, "bob@"+domain, "two")
	if m := nextMessage(t, alice, "bob@"+domain, timeout); m.Body != "bad @@\uFFFDVALID@@ two" {
		t.Fatalf("second round: %s", m.XML)
	}
	if m := nextMessage(t, alice, "bob@"+domain, timeout); m.Body != "good two" {
		t.Fatalf("second round: %s", m.XML)
	}
	// Each repaired message is counted.
	waitMetric(t, addr, `passerelle_network_input_fixed_total{transport="echo",what="invalid_utf8"}`, func(v float64) bool { return v >= 2 })
}
