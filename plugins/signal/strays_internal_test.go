package signal

import (
	"encoding/json"
	"log/slog"
	"testing"

	"passerelle.im/passerelle/plugins/signal/rpc"
)

// An envelope signal-cli wrote to both subscriptions is handled once,
// as the copy queued first: the session's own, read before the other
// session handed its copy over, is handled in its place among the
// envelopes after it, and the copy handed over is dropped. (Before: the
// copy handed over was recorded as it was adopted, so the own copy was
// dropped and the envelope handled after those read later.)
func TestStrayCopyAfterOwnKeepsOrder(t *testing.T) {
	s := &Session{inbox: loadInbox("", slog.New(slog.DiscardHandler))}
	env := func(ts int) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"subscription": 0, "result": map[string]any{"account": "+15550000003",
			"envelope": map[string]any{"sourceUuid": "b0b00000-0000-4000-8000-000000000002", "sourceDevice": 1, "timestamp": ts, "dataMessage": map[string]any{"message": "hi"}}}})
		return b
	}
	own := []rpc.Note{{Method: "receive", Params: env(1)}, {Method: "receive", Params: env(2)}}
	s.inbox.received(own) // read on the session's subscription, queued
	s.adopt([]json.RawMessage{env(1)})
	backlog := s.inbox.backlog()
	if len(backlog) != 3 {
		t.Fatalf("the inbox holds %d envelopes, want 3", len(backlog))
	}
	var handled []json.RawMessage
	for _, n := range backlog {
		if s.dedup.own(n) {
			handled = append(handled, n.Params)
		}
		s.inbox.handled(n.Ref)
	}
	if len(handled) != 2 || string(handled[0]) != string(env(1)) || string(handled[1]) != string(env(2)) {
		t.Fatalf("handled %s, want the envelopes 1 then 2, once each", handled)
	}
	// A copy handed over after the own one was handled is not kept.
	s.adopt([]json.RawMessage{env(2)})
	if n := len(s.inbox.backlog()); n != 0 {
		t.Fatalf("%d envelopes pending after a copy of one handled came, want none", n)
	}
}
