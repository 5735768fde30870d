package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"passerelle.im/passerelle/store"
)

// TestCheckStoreCountsAgree: each count of check-store's report agrees
// with its noun, one and several: a real store of one login, one
// puppet, one message and a log file of one record says "1 login",
// "1 puppet", "1 message (1 XMPP ID)", "1 record"; the nouns of zero
// and of several are plural (TestCheckStoreHealthy, 5 puppets). It said
// "1 logins" and "1 records".
func TestCheckStoreCountsAgree(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutLogin(ctx, store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "l1"}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutPuppets(ctx, []store.Puppet{{Transport: "echo", LoginID: "l1", UserID: "u", Name: "U"}}); err != nil {
		t.Fatal(err)
	}
	_, keys, err := db.CommitEvents(ctx, "echo", []store.InboundEvent{{LoginID: "l1", ChatID: "bob", DedupID: "m", Payload: []byte("m"),
		Ref: &store.MessageRef{RemoteID: "m", ID: "xm"}, DedupByRef: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// A log of one record, the outbox entry done, taken while the store
	// is open (Close applies and removes it), put back as a newer
	// generation.
	if db, err = store.Open(path); err != nil {
		t.Fatal(err)
	}
	if err := db.OutboxDone(ctx, "echo", keys); err != nil {
		t.Fatal(err)
	}
	logs, _ := filepath.Glob(path + ".wal.*")
	if len(logs) != 1 {
		t.Fatalf("log files: %v", logs)
	}
	log, err := os.ReadFile(logs[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".wal.100", log, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := call("check-store", "--store", path)
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errs, out)
	}
	for _, want := range []string{
		"transport echo: 1 login (1 with data), 1 puppet, 1 message (1 XMPP ID), 0 dedup keys, 0 txns; outbox 0",
		path + ".wal.100: 1 record, ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
