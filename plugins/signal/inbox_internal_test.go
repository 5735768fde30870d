package signal

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"passerelle.im/passerelle/plugins/signal/rpc"
)

// The inbox gives back, after a restart, the envelopes read and not
// handled, in order, and nothing once all are handled.
func TestInboxBacklog(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	in := loadInbox(dir, log)
	notes := []rpc.Note{
		{Method: "receive", Params: json.RawMessage(`{"n":1}`)},
		{Method: "other", Params: json.RawMessage(`{}`)},
		{Method: "receive", Params: json.RawMessage(`{"n":2}`)},
		{Method: "receive", Params: json.RawMessage(`{"n":3}`)},
	}
	in.received(notes)
	if notes[1].Ref != 0 || notes[0].Ref == 0 || notes[2].Ref == 0 {
		t.Fatalf("refs: %v", notes)
	}
	in.handled(notes[2].Ref)

	// A restart: 1 and 3 are pending, in order; a line cut short is
	// dropped.
	f, _ := os.OpenFile(filepath.Join(dir, inboxFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"n":9,"p":{"cut`)
	f.Close()
	in = loadInbox(dir, log)
	back := in.backlog()
	if len(back) != 2 || string(back[0].Params) != `{"n":1}` || string(back[1].Params) != `{"n":3}` {
		t.Fatalf("backlog after a restart: %v", back)
	}
	// Numbering goes on past what is kept.
	more := []rpc.Note{{Method: "receive", Params: json.RawMessage(`{"n":4}`)}}
	in.received(more)
	if more[0].Ref <= back[1].Ref {
		t.Fatalf("a new envelope numbered %d, after %d", more[0].Ref, back[1].Ref)
	}
	for _, n := range append(back, more...) {
		in.handled(n.Ref)
	}
	if b, err := os.ReadFile(filepath.Join(dir, inboxFile)); err != nil || len(b) != 0 {
		t.Fatalf("the inbox once all is handled: %q %v", b, err)
	}
	if back := loadInbox(dir, log).backlog(); len(back) != 0 {
		t.Fatalf("backlog once all is handled: %v", back)
	}
}
