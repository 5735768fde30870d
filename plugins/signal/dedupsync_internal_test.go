package signal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"passerelle.im/passerelle/plugins/signal/rpc"
)

// inboxLeft reads the inbox file as written (synced or not: a machine
// crash may keep any write not synced) and reports which of the
// envelopes numbered seqs it says left the inbox: marked handled, or
// no longer in it; and the dedup's notes its marks carry, by seq.
func inboxLeft(t *testing.T, path string, seqs []uint64) (left []uint64, noted map[uint64]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	in, done := map[uint64]bool{}, map[uint64]bool{}
	noted = map[uint64]string{}
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		var l inboxLine
		if json.Unmarshal(line, &l) != nil {
			continue
		}
		if l.N > 0 {
			in[l.N] = true
		}
		if l.D > 0 {
			done[l.D] = true
			noted[l.D] = l.K
		}
	}
	for _, seq := range seqs {
		if !in[seq] || done[seq] {
			left = append(left, seq)
		}
	}
	return left, noted
}

// An envelope handled is noted in handled.jsonl for good once the inbox
// says it left: a machine crash that keeps the inbox's word and loses
// the note would let the envelope's other copy (pending, adopted from
// another login's subscription) through as new. So at every step each
// envelope the inbox file says left must be in what handled.jsonl held
// at its last sync, or in the inbox's mark itself (read back into the
// dedup at the next start: TestDedupNoteReadBackFromTheInbox); a crash
// then loses at most the inbox's marks, and those envelopes are handled
// again, their other copies dropped.
func TestDedupNoteSyncedBeforeInboxForgets(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	var synced []byte // handled.jsonl as of its last sync
	real := fsyncFile
	fsyncFile = func(f *os.File) error {
		err := real(f)
		if filepath.Base(f.Name()) == dedupFileName {
			synced, _ = os.ReadFile(f.Name())
		}
		return err
	}
	t.Cleanup(func() { fsyncFile = real })

	var d strayDedup
	in := loadReceived(dir, log, &d)

	// A backlog (several pending), then one at a time, as read.
	var notes []rpc.Note
	for i := range 6 {
		notes = append(notes, groupNote(i, "g1", i, "DELIVER", false))
	}
	in.received(notes[:4], false)
	check := func(step string) {
		t.Helper()
		var seqs []uint64
		for _, n := range notes {
			if n.Ref != 0 {
				seqs = append(seqs, n.Ref)
			}
		}
		left, noted := inboxLeft(t, filepath.Join(dir, inboxFile), seqs)
		for _, seq := range left {
			n := notes[slices.IndexFunc(notes, func(n rpc.Note) bool { return n.Ref == seq })]
			key, _ := envelopeKey(n.Params)
			if noted[seq] != key && !bytes.Contains(synced, []byte(fmt.Sprintf("%q", key))) {
				t.Fatalf("%s: the inbox says envelope %d left, but handled.jsonl as synced does not note it: %q", step, seq, synced)
			}
		}
	}
	handle := func(n rpc.Note) {
		handle, k := d.own(n, false)
		if !handle {
			t.Fatalf("envelope %d taken for a copy", n.Ref)
		}
		d.keep(k)
		in.handledNoted(n.Ref, k)
	}
	for i := range 4 {
		handle(notes[i])
		check(fmt.Sprintf("backlog envelope %d handled", i))
	}
	for i := 4; i < 6; i++ {
		in.received(notes[i:i+1], false)
		check(fmt.Sprintf("envelope %d read", i))
		handle(notes[i])
		check(fmt.Sprintf("envelope %d handled", i))
	}
}

// A machine crash kept the inbox's marks of envelopes handled and lost
// their notes in handled.jsonl (written, not synced): the next start
// reads the notes from the marks, so the envelope's other copy, adopted
// from another login's subscription, is dropped as before the crash.
func TestDedupNoteReadBackFromTheInbox(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	var d strayDedup
	in := loadReceived(dir, log, &d)
	notes := []rpc.Note{groupNote(1, "g1", 1, "DELIVER", false), groupNote(2, "g1", 2, "DELIVER", false)}
	in.received(notes, false)
	_, k := d.own(notes[0], false)
	d.keep(k)
	in.handledNoted(notes[0].Ref, k)
	// The crash: handled.jsonl as it was before the note.
	if err := os.Remove(filepath.Join(dir, dedupFileName)); err != nil {
		t.Fatal(err)
	}

	var again strayDedup
	loadReceived(dir, log, &again)
	if handle, _ := again.own(notes[0], true); handle {
		t.Fatal("the other copy of an envelope handled before the crash is handled again")
	}
	var third strayDedup
	third.load(dir, log)
	if !third.seenKey(k.key) {
		t.Fatal("the note read back from the inbox is not on disk")
	}
	if back := loadInbox(dir, log).backlog(); len(back) != 1 || back[0].Ref != notes[1].Ref {
		t.Fatalf("the backlog after the crash: %v", back)
	}
}
