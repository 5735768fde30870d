package store

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// report is Inspect's report on path as check-store prints it.
func report(t *testing.T, path string) (*Report, string) {
	t.Helper()
	r, err := Inspect(path, 0)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	return r, b.String()
}

// An empty file, as the gateway's setup creates it before its first
// start, is a store not set up yet: not damaged (bbolt, read-only, failed
// to set it up: "write zero.db: bad file descriptor").
func TestInspectEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zero.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r, text := report(t, path)
	if r.Damaged() || !r.Empty || !strings.Contains(text, "empty: not set up yet") || !strings.HasSuffix(text, "\nok\n") {
		t.Fatalf("damaged %v, empty %v; report:\n%s", r.Damaged(), r.Empty, text)
	}
	if st, err := os.Stat(path); err != nil || st.Size() != 0 {
		t.Fatalf("Inspect changed the file: %v, %v", st, err)
	}
}

// A folder where the store should be is an error that says so, not a
// damaged store ("invalid database").
func TestInspectDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	r, err := Inspect(path, 0)
	if err == nil {
		t.Fatalf("Inspect of a folder: no error; problems %q", r.Problems)
	}
	if msg := err.Error(); !strings.Contains(msg, "is a directory") || strings.Count(msg, path) != 1 {
		t.Fatalf("error %q, want it to name the path once and say it is a directory", msg)
	}
}

// Errors name the store's path once: an error ("open X: open X: ...")
// and the report's problems (the report names it at its top).
func TestInspectNamesPathOnce(t *testing.T) {
	dir := t.TempDir()
	// A socket: there, but not to be opened, even by root.
	sock := filepath.Join(dir, "s.db")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r, err := Inspect(sock, 0)
	if err == nil {
		t.Fatalf("Inspect of a socket: no error; problems %q", r.Problems)
	}
	if n := strings.Count(err.Error(), sock); n != 1 {
		t.Errorf("error names the path %d times: %v", n, err)
	}

	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, []byte(strings.Repeat("junk", 1024)), 0o600); err != nil {
		t.Fatal(err)
	}
	r, text := report(t, junk)
	if !r.Damaged() || len(r.Problems) == 0 {
		t.Fatalf("junk not damaged:\n%s", text)
	}
	if n := strings.Count(text, junk); n != 1 {
		t.Errorf("report names the path %d times:\n%s", n, text)
	}
}

// The report's count of problems agrees with its noun: an admin reads
// "1 problem", not "1 problems".
func TestReportProblemCount(t *testing.T) {
	for _, tc := range []struct {
		problems []string
		want     string
	}{
		{[]string{"page 3: unreachable unfreed"}, "  bbolt check: 1 problem\n"},
		{[]string{"page 3: unreachable unfreed", "page 4: unreachable unfreed"}, "  bbolt check: 2 problems\n"},
	} {
		var b strings.Builder
		r := &Report{Path: "x.db", Problems: tc.problems}
		if err := r.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tc.want) {
			t.Errorf("report of %d problems:\n%s\nwant the line %q", len(tc.problems), b.String(), tc.want)
		}
	}
}

// Every count of the report agrees with its noun, for one and for
// several: check-store said "1 logins", "1 records", "1 bytes".
func TestReportCountsAgree(t *testing.T) {
	one := &Report{Path: "x.db", Schema: "1",
		Transports: []TransportReport{{Name: "echo", Logins: 1, LoginBuckets: 1, Puppets: 1, Messages: 1, XMPPIDs: 1, DedupKeys: 1, Txn: 1,
			Cursors: 1, Rooms: 1, Archived: 1, Expiring: 1}},
		WAL: []WALReport{{Path: "x.db.wal.2", Records: 1, Size: 1, Skipped: []Span{{Offset: 0, Bytes: 1}}},
			{Path: "x.db.wal.3", Records: 1, Size: 2, TailBytes: 1}}}
	two := &Report{Path: "x.db", Schema: "1",
		Transports: []TransportReport{{Name: "echo", Logins: 2, LoginBuckets: 2, Puppets: 2, Messages: 2, XMPPIDs: 2, DedupKeys: 2, Txn: 2,
			Cursors: 2, Rooms: 2, Archived: 2, Expiring: 2}},
		WAL: []WALReport{{Path: "x.db.wal.2", Records: 2, Size: 2, Skipped: []Span{{Offset: 0, Bytes: 2}}},
			{Path: "x.db.wal.3", Records: 2, Size: 4, TailBytes: 2}}}
	for _, tc := range []struct {
		r    *Report
		want []string
	}{
		{one, []string{
			"transport echo: 1 login (1 with data), 1 puppet, 1 message (1 XMPP ID), 1 dedup key, 1 txn, 1 backfill cursor, 1 archived message in 1 room, 1 disappearing message (0 more once read)",
			"log x.db.wal.2: 1 record, 1 byte; DAMAGED: 1 byte at offset 0 skipped",
			"log x.db.wal.3: 1 record, 2 bytes; torn or zero-filled tail of 1 byte at offset 1",
		}},
		{two, []string{
			"transport echo: 2 logins (2 with data), 2 puppets, 2 messages (2 XMPP IDs), 2 dedup keys, 2 txns, 2 backfill cursors, 2 archived messages in 2 rooms, 2 disappearing messages (0 more once read)",
			"log x.db.wal.2: 2 records, 2 bytes; DAMAGED: 2 bytes at offset 0 skipped",
			"log x.db.wal.3: 2 records, 4 bytes; torn or zero-filled tail of 2 bytes at offset 2",
		}},
	} {
		var b strings.Builder
		if err := tc.r.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("report:\n%s\nwant %q", b.String(), w)
			}
		}
	}
}
