package bridge_test

import "testing"

// TestRejectedEventCounted: an event from the plugin that the store
// refuses (a NUL in its ID, which the SDK refuses at emit, sent on the
// wire by testdata/nulid as a plugin without the SDK can) is counted in
// passerelle_events_rejected_total and never reaches the user; the event
// after it does.
func TestRejectedEventCounted(t *testing.T) {
	addr := freePort(t)
	s := newStack(t, stackOptions{plugin: testPlugin(t, "nulid"), extra: "\n[metrics]\nlisten = \"" + addr + "\"\n"})
	alice := registered(t, s, "alice")
	sendChat(t, alice, "bob@"+domain, "one")
	if m := nextMessage(t, alice, "bob@"+domain, timeout); m.Type != "chat" || m.Body != "good one" {
		t.Fatalf("want the good event alone, got %s", m.XML)
	}
	waitMetric(t, addr, `passerelle_events_rejected_total{transport="echo"}`, func(v float64) bool { return v == 1 })
	// The stream still carries what comes next, the bad event refused
	// again and counted.
	sendChat(t, alice, "bob@"+domain, "two")
	if m := nextMessage(t, alice, "bob@"+domain, timeout); m.Type != "chat" || m.Body != "good two" {
		t.Fatalf("second round: %s", m.XML)
	}
	waitMetric(t, addr, `passerelle_events_rejected_total{transport="echo"}`, func(v float64) bool { return v == 2 })
}
