package signal

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
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
	s.inbox.received(own, false) // read on the session's subscription, queued
	s.adopt([]json.RawMessage{env(1)})
	backlog := s.inbox.backlog()
	if len(backlog) != 3 {
		t.Fatalf("the inbox holds %d envelopes, want 3", len(backlog))
	}
	var handled []json.RawMessage
	for _, n := range backlog {
		if ok, _ := s.dedup.own(n, s.inbox.isAdopted(n.Ref)); ok {
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

// What the dedup knows survives a stop, bounded: a copy handed over
// after a restart of an envelope handled before is dropped, and the
// file keeps at most twice dedupKeep lines, of which the last dedupKeep
// are read back. An envelope adopted and still pending at the stop is
// known as adopted at the next start: taken for the session's own, it
// would be handled again beside its own copy handled before.
func TestStrayDedupKeptOnDisk(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	env := func(ts int) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"subscription": 0, "result": map[string]any{"account": "+15550000003",
			"envelope": map[string]any{"sourceUuid": "b0b00000-0000-4000-8000-000000000002", "sourceDevice": 1, "timestamp": ts, "dataMessage": map[string]any{"message": "hi"}}}})
		return b
	}
	start := func() *Session {
		s := &Session{inbox: loadInbox(dir, log)}
		s.dedup.load(dir, log)
		return s
	}
	handle := func(s *Session, n rpc.Note) bool {
		ok, k := s.dedup.own(n, s.inbox.isAdopted(n.Ref))
		if ok {
			s.dedup.keep(k)
		}
		s.inbox.handled(n.Ref)
		return ok
	}
	s := start()
	own := []rpc.Note{{Method: "receive", Params: env(1)}}
	s.inbox.received(own, false)
	s.adopt([]json.RawMessage{env(2)}) // pending at the stop
	if !handle(s, own[0]) {
		t.Fatal("the envelope 1 was not handled")
	}

	s = start()
	s.adopt([]json.RawMessage{env(1)})
	backlog := s.inbox.backlog()
	if len(backlog) != 1 || string(backlog[0].Params) != string(env(2)) {
		t.Fatalf("after a restart the inbox holds %v, want the envelope 2 only (1 was handled)", backlog)
	}
	if !handle(s, backlog[0]) {
		t.Fatal("the envelope 2, adopted, was not handled")
	}
	// Its own copy, read after the restart, is the second one.
	mine := []rpc.Note{{Method: "receive", Params: env(2)}}
	s.inbox.received(mine, false)
	if handle(s, mine[0]) {
		t.Fatal("the own copy of the envelope 2 adopted and handled before was handled too")
	}

	for i := range 3 * dedupKeep {
		handle(s, rpc.Note{Method: "receive", Params: env(100 + i)})
	}
	b, err := os.ReadFile(filepath.Join(dir, dedupFileName))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte{'\n'}); n > 2*dedupKeep {
		t.Fatalf("the file holds %d lines, want at most %d", n, 2*dedupKeep)
	}
	s = start()
	if len(s.dedup.order) != dedupKeep || s.dedup.seenKey(mustKey(t, env(100+2*dedupKeep-1))) || !s.dedup.seenKey(mustKey(t, env(100+3*dedupKeep-1))) {
		t.Fatalf("read back %d envelopes, want the last %d", len(s.dedup.order), dedupKeep)
	}
}

func mustKey(t *testing.T, p json.RawMessage) string {
	t.Helper()
	k, ok := envelopeKey(p)
	if !ok {
		t.Fatalf("no key for %s", p)
	}
	return k
}
