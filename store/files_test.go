package store

import (
	"bytes"
	"path/filepath"
	"testing"
)

// TestMessageFiles: a network message's file count and whether it had
// text are kept with its map entry (a retraction reaches each file's
// stanza), beside a Meta or without one, from the log, bbolt and after a
// reopen; an entry without files reads as before.
func TestMessageFiles(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "f.db"), hotOnly)
	refs := []MessageRef{
		{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "r1", ID: "x1", Files: 3, Text: true, Meta: []byte("m")},
		{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "r2", ID: "x2", Files: 1},
		{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "r3", ID: "x3", Meta: []byte("n")},
		{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "r4", ID: "x4"},
	}
	must(t, db.PutMessages(bg, refs[:2]))
	_, _, err := db.CommitEvents(bg, "wa", []InboundEvent{
		{LoginID: "l", ChatID: "c", DedupID: "r3", Payload: []byte("p"), Ref: &refs[2], DedupByRef: true},
		{LoginID: "l", ChatID: "c", DedupID: "r4", Payload: []byte("p"), Ref: &refs[3], DedupByRef: true},
	})
	must(t, err)
	check := func(where string) {
		t.Helper()
		for _, want := range refs {
			got, err := db.LookupXMPP("wa", "l", "c", want.ID)
			if err != nil || got.Files != want.Files || got.Text != want.Text || !bytes.Equal(got.Meta, want.Meta) {
				t.Errorf("%s: %s read as files %d text %v meta %q (%v); want %d, %v, %q", where, want.RemoteID, got.Files, got.Text, got.Meta, err, want.Files, want.Text, want.Meta)
			}
		}
	}
	check("in the log")
	must(t, db.Flush(bg))
	check("in bbolt")
	db = reopen(t, db)
	check("after reopen")
}
