package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"passerelle.im/passerelle/store"
)

// fillStore makes a real store at path with a login, puppets, three
// stored events and one of them done, and closes it.
func fillStore(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.PutLogin(ctx, store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "l1"}); err != nil {
		t.Fatal(err)
	}
	var ps []store.Puppet
	for i := range 5 {
		ps = append(ps, store.Puppet{Transport: "echo", LoginID: "l1", UserID: fmt.Sprint("u", i), Name: "U"})
	}
	if err := db.PutPuppets(ctx, ps); err != nil {
		t.Fatal(err)
	}
	var evs []store.InboundEvent
	for i := range 3 {
		id := fmt.Sprint("m", i)
		evs = append(evs, store.InboundEvent{LoginID: "l1", ChatID: "bob", DedupID: id, Payload: []byte(id),
			Ref: &store.MessageRef{RemoteID: id, ID: "x" + id}, DedupByRef: true})
	}
	_, keys, err := db.CommitEvents(ctx, "echo", evs)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.OutboxDone(ctx, "echo", keys[:1]); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestCheckStoreHealthy: the store the configuration names, after a clean
// close: its counts, no log files, bbolt's check passes, exit 0.
func TestCheckStoreHealthy(t *testing.T) {
	cfg := setup(t, valid)
	fillStore(t, filepath.Join(filepath.Dir(cfg), "data", "passerelle.db"))
	code, out, errs := call("check-store", "-c", cfg)
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errs, out)
	}
	for _, want := range []string{
		"schema version 1",
		"transport echo: 1 login (1 with data), 5 puppets, 3 messages (3 XMPP IDs), 0 dedup keys, 0 txns; outbox 2",
		"log: no files", "bbolt check: ok", "\nok\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// TestCheckStoreDamagedLog: a log file a crash left, with a record
// damaged in the middle: the report names the file, its records and the
// skipped bytes, and the exit status is 1. The bbolt file itself is sound.
func TestCheckStoreDamagedLog(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.db")
	// A log with records, taken while the store is open (Close applies
	// and removes it), then put back as a newer generation.
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var evs []store.InboundEvent
	for i := range 6 {
		evs = append(evs, store.InboundEvent{LoginID: "l1", ChatID: "bob", DedupID: fmt.Sprint("m", i), Payload: []byte("payload")})
	}
	if _, _, err := db.CommitEvents(context.Background(), "echo", evs); err != nil {
		t.Fatal(err)
	}
	logs, _ := filepath.Glob(path + ".wal.*")
	if len(logs) != 1 {
		t.Fatalf("log files: %v", logs)
	}
	b, err := os.ReadFile(logs[0])
	if err != nil || len(b) < 100 {
		t.Fatalf("log: %d bytes, %v", len(b), err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	orig := append([]byte(nil), b...)
	b[len(b)/2] ^= 0x40
	if err := os.WriteFile(path+".wal.100", b, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := call("check-store", "--store", path)
	if code != 1 {
		t.Errorf("exit %d, want 1; stderr %q", code, errs)
	}
	for _, want := range []string{path + ".wal.100: 11 records", "DAMAGED: ", "bytes at offset", "bbolt check: ok", "\nDAMAGED\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	// A torn tail alone is what a crash leaves, not damage.
	if err := os.WriteFile(path+".wal.100", append(orig[:len(orig)-5], make([]byte, 300)...), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = call("check-store", "--store", path)
	if code != 0 || !strings.Contains(out, "torn or zero-filled tail of") {
		t.Errorf("torn tail: exit %d, report:\n%s", code, out)
	}
}

// TestCheckStoreDamagedPage: every page of a real store overwritten in
// turn; check-store never panics, and reports the pages bbolt reads as
// damaged, with exit status 1.
func TestCheckStoreDamagedPage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	fillStore(t, path)
	pristine, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	damaged := 0
	for pg := 2; pg < len(pristine)/4096; pg++ {
		b := append([]byte(nil), pristine...)
		for i := pg * 4096; i < (pg+1)*4096; i++ {
			b[i] = 0xab
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errs := call("check-store", "--store", path)
		switch {
		case code == 1 && strings.Contains(out, "\nDAMAGED\n") && strings.Contains(out, " problem"):
			damaged++
		case code == 0 && strings.Contains(out, "bbolt check: ok"):
			// a page in no use
		default:
			t.Errorf("page %d: exit %d, stderr %q, report:\n%s", pg, code, errs, out)
		}
	}
	if damaged == 0 {
		t.Error("no damaged page was reported")
	}
}

// TestCheckStoreLockedOrMissing: a store in use (locked) or absent is an
// error on stderr, exit 1, and the absent one is not created. The locked
// one says what to do, naming the store once (it named it twice, with
// bbolt's "timeout").
func TestCheckStoreLockedOrMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	code, _, errs := call("check-store", "--store", path)
	if code != 1 || !strings.Contains(errs, "no such file") {
		t.Errorf("missing store: exit %d, stderr %q", code, errs)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("check-store created the store: %v", err)
	}
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	code, _, errs = call("check-store", "--store", path)
	if code != 1 || !strings.Contains(errs, "locked") || !strings.Contains(errs, "systemctl stop passerelle") ||
		strings.Count(errs, path) != 1 || strings.Contains(errs, "timeout") {
		t.Errorf("store in use: exit %d, stderr %q; want it locked, named once, and what to do", code, errs)
	}
}

// TestCheckStoreReadsOnlyTheStore: check-store needs [store] alone. With
// the secrets in the unit's environment file (examples/passerelle.service)
// and so missing from an admin's shell, or a plugin not installed yet,
// it still checks the store; a problem in [store] itself is still said,
// with its line.
func TestCheckStoreReadsOnlyTheStore(t *testing.T) {
	cfg := setup(t, "[store]\npath = \"state/gw.db\"\n"+broken)
	fillStore(t, filepath.Join(filepath.Dir(cfg), "state", "gw.db"))
	code, out, errs := call("check-store", "-c", cfg)
	if code != 0 || errs != "" || !strings.Contains(out, "state/gw.db") {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errs, out)
	}
	cfg = setup(t, "[store]\npath = 5\n"+broken)
	code, _, errs = call("check-store", "-c", cfg)
	if code != 1 || strings.TrimSpace(errs) != cfg+":2: store.path: want a string, got an integer (put the value in quotes)" {
		t.Errorf("bad store path: exit %d, stderr %q", code, errs)
	}
	code, _, errs = call("check-store", "-c", filepath.Join(t.TempDir(), "none.toml"))
	if code != 1 || !strings.Contains(errs, "no such file (give the configuration with -c FILE") {
		t.Errorf("missing file: exit %d, stderr %q", code, errs)
	}
}

// TestCheckStoreBeforeFirstRun: check-store before passerelle ever ran
// (a newcomer trying the README's commands) says that there is no store
// yet and where it looked, not a bare stat error.
func TestCheckStoreBeforeFirstRun(t *testing.T) {
	cfg := setup(t, valid)
	code, out, errs := call("check-store", "-c", cfg)
	want := "passerelle check-store: " + filepath.Join(filepath.Dir(cfg), "data", "passerelle.db") +
		": no such file: passerelle run creates the store at its first start; before it there is nothing to check (else check store.path in " + cfg + ")\n"
	if code != 1 || out != "" || errs != want {
		t.Errorf("exit %d, stdout %q, stderr %q\nwant exit 1 and %q", code, out, errs, want)
	}
}

// TestCheckStoreBeforeFirstRunStoreFlag: with --store, what to check is
// the path given to it (it said "else check -store").
func TestCheckStoreBeforeFirstRunStoreFlag(t *testing.T) {
	db := filepath.Join(t.TempDir(), "passerelle.db")
	code, _, errs := call("check-store", "--store", db)
	if want := db + ": no such file: passerelle run creates the store at its first start; before it there is nothing to check (else check the --store path)\n"; code != 1 || !strings.HasSuffix(errs, want) {
		t.Errorf("exit %d, stderr %q\nwant exit 1 and %q", code, errs, want)
	}
}

// TestCheckStoreCutShort: a store cut short (a copy or a restore that
// stopped) is said to be so, with what to do; it was said to hold "no
// passerelle store", maybe another program's file, its first pages
// damaged.
func TestCheckStoreCutShort(t *testing.T) {
	db := filepath.Join(t.TempDir(), "passerelle.db")
	fillStore(t, db)
	// Pages 0 to 3: the metas are whole, the rest is gone.
	if err := os.Truncate(db, 4*4096); err != nil {
		t.Fatal(err)
	}
	code, out, errs := call("check-store", "--store", db)
	if !strings.Contains(out, "damaged: cut short: the file is 16384 bytes") || !strings.Contains(out, "DAMAGED") {
		t.Errorf("report:\n%s", out)
	}
	if want := db + " is cut short, as a copy or a restore that did not finish leaves a file: restore a whole backup"; code != 1 || !strings.Contains(errs, want) || strings.Contains(errs, "another program's file") {
		t.Errorf("exit %d, stderr %q\nwant exit 1 and %q", code, errs, want)
	}
}

// TestCheckStoreNotAStore: store.path naming a file that is no
// passerelle store, another program's file or another program's bbolt
// database, is reported damaged (exit 1) and check-store says what the
// file may be and what to do, as run's refusal of it promises
// (TestRunStoreNotAStore). It said only "bbolt cannot open it: invalid
// database" and DAMAGED, which reads as a store to repair. The file is
// left as it was.
func TestCheckStoreNotAStore(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "other.db")
	content := strings.Repeat("not a bbolt file\n", 2000)
	if err := os.WriteFile(junk, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	otherBolt := filepath.Join(dir, "other-bolt.db")
	b, err := bbolt.Open(otherBolt, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bbolt.Tx) error {
		bk, err := tx.CreateBucket([]byte("someone-else"))
		if err != nil {
			return err
		}
		return bk.Put([]byte("k"), []byte("v"))
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{junk, otherBolt} {
		cfg := setup(t, "[store]\npath = \""+path+"\"\n"+valid)
		code, out, errs := call("check-store", "-c", cfg)
		if code != 1 || !strings.Contains(out, "DAMAGED") {
			t.Errorf("%s: exit %d, report:\n%s", path, code, out)
		}
		for _, want := range []string{path + " holds no passerelle store", "another program's file", "store.path in " + cfg, "restore a backup"} {
			if !strings.Contains(errs, want) {
				t.Errorf("%s: stderr %q, want %q", path, errs, want)
			}
		}
	}
	if got, err := os.ReadFile(junk); err != nil || string(got) != content {
		t.Errorf("the file was changed: %v", err)
	}
}

// TestCheckStoreHealthyNoHint: a sound store and an empty one get no
// such advice.
func TestCheckStoreHealthyNoHint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	fillStore(t, path)
	empty := filepath.Join(t.TempDir(), "e.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, empty} {
		if code, _, errs := call("check-store", "--store", p); code != 0 || errs != "" {
			t.Errorf("%s: exit %d, stderr %q", p, code, errs)
		}
	}
}
