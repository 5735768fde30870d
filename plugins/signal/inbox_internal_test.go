package signal

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
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
	in.received(notes, false)
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
	in.received(more, false)
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

// panicHost is a host whose durable emits panic, as a bug in an
// envelope's handling would.
type panicHost struct{ recordingHost }

func (h *panicHost) EmitDurable(context.Context, *pb.Event) error { panic("a bug") }

// An envelope whose handling panics is logged and dropped, not kept in
// the inbox: kept, it would end every start of the plugin the same way.
// (Before: the panic ended the process.)
func TestPanickingEnvelopeDropped(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	s := &Session{n: &Network{host: &panicHost{}}, loginID: "l", acc: Account{Number: "+15550000001"}, ids: loadIdentities(dir, nil),
		chats: loadMsgChats(dir, log), mine: loadMyReactions(dir, log), earlier: loadEarlierReactions(dir, log), pins: loadPins(dir, log), inbox: loadInbox(dir, log),
		groups: map[string]*group{}, pictures: map[string]string{}, typing: map[string]bool{}}
	notes := []rpc.Note{{Method: "receive", Params: json.RawMessage(`{"envelope":{"sourceNumber":"+15550000002","sourceUuid":"b0b00000-0000-4000-8000-000000000002","timestamp":1700000000000,"dataMessage":{"timestamp":1700000000000,"message":"boom"}}}`)}}
	s.inbox.received(notes, false)
	s.onNotify(notes[0])
	if back := loadInbox(dir, log).backlog(); len(back) != 0 {
		t.Fatalf("the envelope that panicked is kept: %v", back)
	}
}

// An envelope left pending does not let the file grow for good: at a
// load, and past a bound at run time, it is rewritten with the
// envelopes pending only.
func TestInboxCompacted(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	in := loadInbox(dir, log)
	stuck := []rpc.Note{{Method: "receive", Params: json.RawMessage(`{"stuck":true}`)}}
	in.received(stuck, false)
	for i := range 3 * inboxCompactAt {
		n := []rpc.Note{{Method: "receive", Params: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))}}
		in.received(n, false)
		in.handled(n[0].Ref)
	}
	b, _ := os.ReadFile(filepath.Join(dir, inboxFile))
	if lines := bytes.Count(b, []byte{'\n'}); lines > 2+inboxCompactAt*2 {
		t.Fatalf("the inbox holds %d lines for one envelope pending", lines)
	}
	in = loadInbox(dir, log)
	b, _ = os.ReadFile(filepath.Join(dir, inboxFile))
	if back := in.backlog(); len(back) != 1 || string(back[0].Params) != `{"stuck":true}` || bytes.Count(b, []byte{'\n'}) != 1 {
		t.Fatalf("after a load: backlog %v, file %q", back, b)
	}
}
