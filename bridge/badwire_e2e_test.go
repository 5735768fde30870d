package bridge_test

import "testing"

// TestInvalidUTF8FromPlugin: an event whose strings are not UTF-8 (which
// Go's protobuf decoder refuses) arrives with U+FFFD in their place; an
// event the store refuses (a NUL in its ID, which the SDK refuses at
// emit) is counted in passerelle_events_rejected_total and never reaches
// the user; the event after them arrives too: the plugin's stream is not
// ended and replayed for ever. testdata/badwire sends them as a plugin
// without the SDK can.
func TestInvalidUTF8FromPlugin(t *testing.T) {
	addr := freePort(t)
	s := newStack(t, stackOptions{plugin: testPlugin(t, "badwire"), extra: "\n[metrics]\nlisten = \"" + addr + "\"\n"})
	alice := registered(t, s, "alice")
	const rejected = `passerelle_events_rejected_total{transport="echo"}`
	sendChat(t, alice, "bob@"+domain, "one")
	bad := nextMessage(t, alice, "bob@"+domain, timeout)
	if bad.Type != "chat" || bad.Body != "bad @@\uFFFDVALID@@ one" {
		t.Fatalf("want the repaired event first, got %s", bad.XML)
	}
	good := nextMessage(t, alice, "bob@"+domain, timeout)
	if good.Type != "chat" || good.Body != "good one" {
		t.Fatalf("want the good event after it, not the rejected one, got %s", good.XML)
	}
	waitMetric(t, addr, rejected, func(v float64) bool { return v == 1 })
	// The stream still carries what comes next.
	sendChat(t, alice, "bob@"+domain, "two")
	if m := nextMessage(t, alice, "bob@"+domain, timeout); m.Body != "bad @@\uFFFDVALID@@ two" {
		t.Fatalf("second round: %s", m.XML)
	}
	if m := nextMessage(t, alice, "bob@"+domain, timeout); m.Body != "good two" {
		t.Fatalf("second round: %s", m.XML)
	}
	// Each repaired message is counted, and each rejected one.
	waitMetric(t, addr, `passerelle_network_input_fixed_total{transport="echo",what="invalid_utf8"}`, func(v float64) bool { return v >= 2 })
	waitMetric(t, addr, rejected, func(v float64) bool { return v == 2 })
}
