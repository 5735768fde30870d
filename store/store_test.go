package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

var bg = context.Background()

// openAt opens path and closes it at the end of the test.
func openAt(t testing.TB, path string, o Options) *DB {
	t.Helper()
	db, err := OpenOptions(path, o)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func openTemp(t testing.TB) *DB {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "state", "passerelle.db"), Options{})
}

// reopen closes db and opens its file again.
func reopen(t testing.TB, db *DB) *DB {
	t.Helper()
	if err := db.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return openAt(t, db.Path(), Options{})
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantNotFound(t testing.TB, what string, err error) {
	t.Helper()
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("%s: got %v, want ErrNotFound", what, err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	db := openTemp(t)
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "alice@example.org", LoginID: "+331", DisplayName: "Alice", SavedState: []byte("s1")}))
	must(t, db.PutPuppets(bg, []Puppet{{Transport: "wa", LoginID: "+331", UserID: "+332", Name: "Bob"}}))
	must(t, db.PutMessages(bg, []MessageRef{{Transport: "wa", LoginID: "+331", ChatID: "c", RemoteID: "r1", OriginID: "o1"}}))
	must(t, db.PutTxn(bg, "wa", "+331", "o2", "r2"))
	_, keys, err := db.CommitEvents(bg, "wa", []InboundEvent{{Seq: 9, LoginID: "+331", ChatID: "c", DedupID: "r3", Payload: []byte("p")}})
	must(t, err)

	db = reopen(t, db)
	l, err := db.GetLogin("wa", "alice@example.org")
	must(t, err)
	if l.LoginID != "+331" || l.DisplayName != "Alice" || string(l.SavedState) != "s1" {
		t.Errorf("login after reopen: %+v", l)
	}
	p, err := db.GetPuppet("wa", "+331", "+332")
	must(t, err)
	if p.Name != "Bob" {
		t.Errorf("puppet after reopen: %+v", p)
	}
	r, err := db.LookupXMPP("wa", "+331", "c", "o1")
	must(t, err)
	if r.RemoteID != "r1" {
		t.Errorf("ref after reopen: %+v", r)
	}
	remote, err := db.GetTxn("wa", "+331", "o2")
	must(t, err)
	if remote != "r2" {
		t.Errorf("txn after reopen: %q", remote)
	}
	ob, err := db.Outbox("wa")
	must(t, err)
	if len(ob) != 1 || ob[0].Key != keys[0] || ob[0].Seq != 9 || string(ob[0].Payload) != "p" {
		t.Errorf("outbox after reopen: %+v", ob)
	}
}

func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "passerelle.db")
	openAt(t, path, Options{})
	for _, c := range []struct {
		path string
		want os.FileMode
	}{{dir, 0o700}, {path, 0o600}} {
		fi, err := os.Stat(c.path)
		must(t, err)
		if got := fi.Mode().Perm(); got != c.want {
			t.Errorf("%s: mode %v, want %v", c.path, got, c.want)
		}
	}
}

func TestSchemaTooNewRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "passerelle.db")
	db, err := Open(path)
	must(t, err)
	must(t, db.Close())

	raw, err := bbolt.Open(path, 0o600, nil)
	must(t, err)
	must(t, raw.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bMeta).Put(kSchema, []byte("7"))
	}))
	must(t, raw.Close())

	db, err = Open(path)
	if err == nil {
		db.Close()
		t.Fatal("Open of a schema 7 file succeeded")
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("got %v, want ErrSchemaTooNew", err)
	}
	msg := err.Error()
	for _, want := range []string{path, "7", fmt.Sprint(SchemaVersion)} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}

	// The refused file is left as it was.
	raw, err = bbolt.Open(path, 0o600, nil)
	must(t, err)
	defer raw.Close()
	must(t, raw.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bMeta).Get(kSchema); string(v) != "7" {
			t.Errorf("schema after refused open: %q", v)
		}
		return nil
	}))
}

func TestForeignBboltFileRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	raw, err := bbolt.Open(path, 0o600, nil)
	must(t, err)
	must(t, raw.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucket([]byte("someone-else"))
		return err
	}))
	must(t, raw.Close())
	if db, err := Open(path); err == nil {
		db.Close()
		t.Fatal("Open of a foreign bbolt file succeeded")
	}
}

func TestNotABboltFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junk.db")
	must(t, os.WriteFile(path, bytes.Repeat([]byte("junk"), 2048), 0o600))
	if db, err := Open(path); err == nil {
		db.Close()
		t.Fatal("Open of a junk file succeeded")
	}
}

func TestSecondOpenFailsClearly(t *testing.T) {
	db := openTemp(t)
	// Open with the default timeout, as the gateway does: it must return.
	db2, err := Open(db.Path())
	if err == nil {
		db2.Close()
		t.Fatal("second Open of the same file succeeded")
	}
	if !errors.Is(err, ErrLocked) {
		t.Errorf("got %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), db.Path()) {
		t.Errorf("error %q does not name the file", err)
	}
	// The first handle still works.
	must(t, db.PutTxn(bg, "wa", "l", "t", "r"))
}

func TestClose(t *testing.T) {
	db := openTemp(t)
	must(t, db.Close())
	must(t, db.Close())
	if err := db.PutLogin(bg, Login{Transport: "wa", UserJID: "a@b", LoginID: "l"}); !errors.Is(err, ErrClosed) {
		t.Errorf("write after close: %v", err)
	}
	if _, err := db.GetLogin("wa", "a@b"); !errors.Is(err, ErrClosed) {
		t.Errorf("read after close: %v", err)
	}
}

func TestCloseFlushesQueuedWrites(t *testing.T) {
	db := openTemp(t)
	const n = 50
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = db.PutTxn(bg, "wa", "l", fmt.Sprint("t", i), "r")
		})
	}
	close(start)
	must(t, db.Close()) // races with the writes: each is either durable or refused
	wg.Wait()
	db = openAt(t, db.Path(), Options{})
	for i := range n {
		if errs[i] != nil {
			if !errors.Is(errs[i], ErrClosed) {
				t.Errorf("write %d: %v", i, errs[i])
			}
			continue
		}
		if _, err := db.GetTxn("wa", "l", fmt.Sprint("t", i)); err != nil {
			t.Errorf("acknowledged write %d lost: %v", i, err)
		}
	}
}

func TestCanceledContext(t *testing.T) {
	db := openTemp(t)
	ctx, cancel := context.WithCancel(bg)
	cancel()
	err := db.PutLogin(ctx, Login{Transport: "wa", UserJID: "a@b", LoginID: "l"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	_, err = db.GetLogin("wa", "a@b")
	wantNotFound(t, "login written with a canceled ctx", err)
}

func TestInvalidInput(t *testing.T) {
	db := openTemp(t)
	long := strings.Repeat("x", MaxKeyPart+1)
	calls := map[string]func() error{
		"PutLogin empty transport": func() error {
			return db.PutLogin(bg, Login{UserJID: "a@b", LoginID: "l"})
		},
		"PutLogin NUL JID": func() error {
			return db.PutLogin(bg, Login{Transport: "wa", UserJID: "a\x00@b", LoginID: "l"})
		},
		"PutLogin empty login ID": func() error {
			return db.PutLogin(bg, Login{Transport: "wa", UserJID: "a@b"})
		},
		"GetLogin empty transport": func() error {
			_, err := db.GetLogin("", "a@b")
			return err
		},
		"ListLogins NUL": func() error {
			_, err := db.ListLogins("w\x00a")
			return err
		},
		"SetSavedState empty JID": func() error {
			return db.SetSavedState(bg, "wa", "", nil)
		},
		"DeleteLogin empty transport": func() error {
			return db.DeleteLogin(bg, "", "a@b")
		},
		"PutPuppets NUL user": func() error {
			return db.PutPuppets(bg, []Puppet{{Transport: "wa", LoginID: "l", UserID: "u\x00"}})
		},
		"GetPuppet empty login": func() error {
			_, err := db.GetPuppet("wa", "", "u")
			return err
		},
		"PutMessages NUL chat": func() error {
			return db.PutMessages(bg, []MessageRef{{Transport: "wa", LoginID: "l", ChatID: "c\x00", RemoteID: "r"}})
		},
		"PutMessages NUL origin-id": func() error {
			return db.PutMessages(bg, []MessageRef{{Transport: "wa", LoginID: "l", RemoteID: "r", OriginID: "o\x00"}})
		},
		"PutMessages empty remote": func() error {
			return db.PutMessages(bg, []MessageRef{{Transport: "wa", LoginID: "l", ChatID: "c"}})
		},
		"PutMessages too long": func() error {
			return db.PutMessages(bg, []MessageRef{{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: long}})
		},
		"LookupXMPP empty id": func() error {
			_, err := db.LookupXMPP("wa", "l", "c", "")
			return err
		},
		"LookupRemote empty transport": func() error {
			_, err := db.LookupRemote("", "l", "c", "r")
			return err
		},
		"CommitEvents empty transport": func() error {
			_, _, err := db.CommitEvents(bg, "", []InboundEvent{{Payload: []byte("x")}})
			return err
		},
		"CheckEvent dedup without login": func() error {
			return db.CheckEvent("wa", InboundEvent{DedupID: "d"})
		},
		"CheckEvent ref of another transport": func() error {
			return db.CheckEvent("wa", InboundEvent{LoginID: "l", Ref: &MessageRef{Transport: "tg", RemoteID: "r"}})
		},
		"CheckEvent NUL in the ref's origin-id": func() error {
			return db.CheckEvent("wa", InboundEvent{LoginID: "l", Ref: &MessageRef{RemoteID: "r", OriginID: "o\x00"}})
		},
		"Outbox empty transport": func() error {
			_, err := db.Outbox("")
			return err
		},
		"PutTxn NUL txn": func() error {
			return db.PutTxn(bg, "wa", "l", "t\x00", "r")
		},
		"GetTxn empty txn": func() error {
			_, err := db.GetTxn("wa", "l", "")
			return err
		},
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
}

// TestOneBadEventDoesNotFailItsBatch: an event with a NUL byte or a key
// part over MaxKeyPart is rejected alone; the good events of its batch
// are stored once, and the call succeeds so the bridge can acknowledge
// the batch (before, the whole call failed, the plugin replayed it
// forever and the good events reached the user again every round).
func TestOneBadEventDoesNotFailItsBatch(t *testing.T) {
	db := openTemp(t)
	good := func(id string) InboundEvent {
		return InboundEvent{LoginID: "l", ChatID: "c", DedupID: id, Payload: []byte(id), Ref: &MessageRef{RemoteID: id, ID: "x-" + id}}
	}
	batch := []InboundEvent{
		good("m1"),
		{LoginID: "l", ChatID: "c\x00", DedupID: "nul", Payload: []byte("bad")},
		good("m2"),
		{LoginID: "l", ChatID: "c", DedupID: strings.Repeat("x", MaxKeyPart+1), Payload: []byte("long")},
		{LoginID: "l", ChatID: "c", DedupID: "m3", Payload: []byte("bad ref"), Ref: &MessageRef{RemoteID: "m3", OriginID: "o\x00"}},
		good("m4"),
	}
	for i, ev := range batch {
		if err := db.CheckEvent("wa", ev); (err != nil) != (i == 1 || i == 3 || i == 4) {
			t.Errorf("CheckEvent(event %d) = %v", i, err)
		}
	}
	for round := range 2 { // the plugin replays the batch: nothing is stored twice
		fresh, keys, err := db.CommitEvents(bg, "wa", batch)
		if err != nil {
			t.Fatalf("round %d: a batch with bad events failed: %v", round, err)
		}
		want := "[true false true false false true]"
		if round == 1 {
			want = "[false false false false false false]"
		}
		if fmt.Sprint(fresh) != want {
			t.Errorf("round %d: fresh = %v, want %s", round, fresh, want)
		}
		if keys[1] != 0 || keys[3] != 0 || keys[4] != 0 {
			t.Errorf("round %d: rejected events got outbox keys: %v", round, keys)
		}
	}
	if n := db.RejectedEvents("wa"); n != 6 {
		t.Errorf("RejectedEvents = %d, want 6 (3 per round)", n)
	}
	if n := db.RejectedEvents("tg"); n != 0 {
		t.Errorf("RejectedEvents of another transport = %d, want 0", n)
	}
	ob, err := db.Outbox("wa")
	must(t, err)
	var payloads []string
	for _, e := range ob {
		payloads = append(payloads, string(e.Payload))
	}
	if got := strings.Join(payloads, ","); got != "m1,m2,m4" {
		t.Errorf("outbox = %q, want the good events once: m1,m2,m4", got)
	}
	_, err = db.LookupRemote("wa", "l", "c", "m3")
	wantNotFound(t, "ref of a rejected event", err)
	if r, err := db.LookupXMPP("wa", "l", "c", "x-m2"); err != nil || r.RemoteID != "m2" {
		t.Errorf("ref of a good event: %+v, %v", r, err)
	}
}

func TestLogins(t *testing.T) {
	db := openTemp(t)
	_, err := db.GetLogin("wa", "alice@example.org")
	wantNotFound(t, "absent login", err)

	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "alice@example.org", LoginID: "+331", DisplayName: "A"}))
	first, err := db.GetLogin("wa", "alice@example.org")
	must(t, err)
	if first.Created.IsZero() || first.Updated.IsZero() {
		t.Fatalf("times not set: %+v", first)
	}
	if first.Transport != "wa" || first.UserJID != "alice@example.org" || first.LoginID != "+331" || first.DisplayName != "A" {
		t.Errorf("got %+v", first)
	}

	// A later put keeps Created even if the caller passes another one.
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "alice@example.org", LoginID: "+331", DisplayName: "A2",
		Created: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}))
	second, err := db.GetLogin("wa", "alice@example.org")
	must(t, err)
	if !second.Created.Equal(first.Created) {
		t.Errorf("Created changed: %v -> %v", first.Created, second.Created)
	}
	if second.Updated.Before(first.Updated) || second.DisplayName != "A2" {
		t.Errorf("second put: %+v", second)
	}

	must(t, db.SetSavedState(bg, "wa", "alice@example.org", []byte{1, 2, 3}))
	l, err := db.GetLogin("wa", "alice@example.org")
	must(t, err)
	if !bytes.Equal(l.SavedState, []byte{1, 2, 3}) || l.DisplayName != "A2" {
		t.Errorf("after SetSavedState: %+v", l)
	}
	wantNotFound(t, "SetSavedState on absent login", db.SetSavedState(bg, "wa", "nobody@example.org", []byte{1}))
	// The state of a login another account replaced is not the new one's.
	must(t, db.SetLoginSavedState(bg, "wa", "alice@example.org", "+331", []byte{4}))
	wantNotFound(t, "SetLoginSavedState of another login", db.SetLoginSavedState(bg, "wa", "alice@example.org", "+339", []byte{5}))
	if l, err := db.GetLogin("wa", "alice@example.org"); err != nil || !bytes.Equal(l.SavedState, []byte{4}) {
		t.Errorf("after SetLoginSavedState: %+v, %v; want the state of +331, the user's login", l, err)
	}

	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "bob@example.org", LoginID: "+332"}))
	must(t, db.PutLogin(bg, Login{Transport: "tg", UserJID: "alice@example.org", LoginID: "42"}))
	ls, err := db.ListLogins("wa")
	must(t, err)
	if len(ls) != 2 || ls[0].UserJID != "alice@example.org" || ls[1].UserJID != "bob@example.org" {
		t.Errorf("ListLogins(wa) = %+v", ls)
	}
	if ls, _ := db.ListLogins("signal"); len(ls) != 0 {
		t.Errorf("ListLogins(signal) = %+v", ls)
	}

	must(t, db.DeleteLogin(bg, "wa", "alice@example.org"))
	_, err = db.GetLogin("wa", "alice@example.org")
	wantNotFound(t, "deleted login", err)
	if _, err := db.GetLogin("tg", "alice@example.org"); err != nil {
		t.Errorf("login on another transport gone: %v", err)
	}
	must(t, db.DeleteLogin(bg, "wa", "alice@example.org")) // idempotent
}

// seedLogin gives one login a puppet, a message, a dedup key, a txn and an
// outbox entry.
func seedLogin(t *testing.T, db *DB, transport, user, login string) {
	t.Helper()
	must(t, db.PutLogin(bg, Login{Transport: transport, UserJID: user, LoginID: login}))
	must(t, db.PutPuppets(bg, []Puppet{{Transport: transport, LoginID: login, UserID: "bob", Name: "Bob"}}))
	must(t, db.PutTxn(bg, transport, login, "txn1", "sent1"))
	fresh, _, err := db.CommitEvents(bg, transport, []InboundEvent{{
		LoginID: login, ChatID: "chat", DedupID: "m1", Payload: []byte(login),
		Ref: &MessageRef{RemoteID: "m1", StanzaID: "s1"},
	}})
	must(t, err)
	if !fresh[0] {
		t.Fatalf("seed event of %s/%s not fresh", transport, login)
	}
}

// loginData reports which kinds of data exist for a login.
func loginData(t *testing.T, db *DB, transport, login string) (puppet, ref, txn, dedup, outbox bool) {
	t.Helper()
	_, err := db.GetPuppet(transport, login, "bob")
	puppet = err == nil
	_, err = db.LookupXMPP(transport, login, "chat", "s1")
	ref = err == nil
	_, err = db.GetTxn(transport, login, "txn1")
	txn = err == nil
	must(t, flushedView(t, db, func(tx *bbolt.Tx) error {
		d := sub(loginBucket(tx, transport, login), bDedup)
		dedup = d != nil && d.Get(comp("chat", "m1")) != nil
		return nil
	}))
	ob, err := db.Outbox(transport)
	must(t, err)
	for _, e := range ob {
		outbox = outbox || e.LoginID == login
	}
	return
}

func TestDeleteLoginRemovesOnlyItsData(t *testing.T) {
	db := openTemp(t)
	seedLogin(t, db, "wa", "alice@x", "A")
	seedLogin(t, db, "wa", "bob@x", "B")
	seedLogin(t, db, "tg", "alice@x", "A") // same login ID, other transport

	must(t, db.DeleteLogin(bg, "wa", "alice@x"))

	if p, r, tx, d, o := loginData(t, db, "wa", "A"); p || r || tx || d || o {
		t.Errorf("wa/A left behind: puppet=%v ref=%v txn=%v dedup=%v outbox=%v", p, r, tx, d, o)
	}
	for _, k := range [][2]string{{"wa", "B"}, {"tg", "A"}} {
		if p, r, tx, d, o := loginData(t, db, k[0], k[1]); !p || !r || !tx || !d || !o {
			t.Errorf("%s/%s damaged: puppet=%v ref=%v txn=%v dedup=%v outbox=%v", k[0], k[1], p, r, tx, d, o)
		}
	}
	// The dedup key is really gone: the same event is new again.
	fresh, _, err := db.CommitEvents(bg, "wa", []InboundEvent{{LoginID: "A", ChatID: "chat", DedupID: "m1"}})
	must(t, err)
	if !fresh[0] {
		t.Error("event of a deleted login still deduplicated")
	}
}

func TestDeleteLoginKeepsSharedLoginData(t *testing.T) {
	db := openTemp(t)
	seedLogin(t, db, "wa", "alice@x", "A")
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "carol@x", LoginID: "A"}))
	must(t, db.DeleteLogin(bg, "wa", "alice@x"))
	if p, r, tx, d, o := loginData(t, db, "wa", "A"); !p || !r || !tx || !d || !o {
		t.Errorf("data shared with carol deleted: puppet=%v ref=%v txn=%v dedup=%v outbox=%v", p, r, tx, d, o)
	}
	must(t, db.DeleteLogin(bg, "wa", "carol@x"))
	if p, r, tx, d, o := loginData(t, db, "wa", "A"); p || r || tx || d || o {
		t.Errorf("last user gone, data left: puppet=%v ref=%v txn=%v dedup=%v outbox=%v", p, r, tx, d, o)
	}
}

func TestPutLoginWithNewLoginIDDropsOldData(t *testing.T) {
	db := openTemp(t)
	seedLogin(t, db, "wa", "alice@x", "A")
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "alice@x", LoginID: "A"})) // same account: kept
	if p, r, tx, d, o := loginData(t, db, "wa", "A"); !p || !r || !tx || !d || !o {
		t.Fatalf("re-put of the same login lost data")
	}
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "alice@x", LoginID: "A2"}))
	if p, r, tx, d, o := loginData(t, db, "wa", "A"); p || r || tx || d || o {
		t.Errorf("old account's data left: puppet=%v ref=%v txn=%v dedup=%v outbox=%v", p, r, tx, d, o)
	}
}

func TestPuppets(t *testing.T) {
	db := openTemp(t)
	when := time.Date(2026, 3, 1, 12, 0, 0, 5, time.UTC)
	must(t, db.PutPuppets(bg, []Puppet{
		{Transport: "wa", LoginID: "l", UserID: "u2", Name: "Two", Updated: when},
		{Transport: "wa", LoginID: "l", UserID: "u1", Name: "One"},
		{Transport: "wa", LoginID: "other", UserID: "u1", Name: "Elsewhere"},
	}))
	p, err := db.GetPuppet("wa", "l", "u2")
	must(t, err)
	if p != (Puppet{Transport: "wa", LoginID: "l", UserID: "u2", Name: "Two", Updated: when}) {
		t.Errorf("GetPuppet = %+v", p)
	}
	ps, err := db.ListPuppets("wa", "l")
	must(t, err)
	if len(ps) != 2 || ps[0].UserID != "u1" || ps[0].Name != "One" || ps[0].Updated.IsZero() || ps[1].UserID != "u2" {
		t.Errorf("ListPuppets = %+v", ps)
	}
	must(t, db.PutPuppets(bg, []Puppet{{Transport: "wa", LoginID: "l", UserID: "u1", Name: "Uno"}}))
	if p, _ := db.GetPuppet("wa", "l", "u1"); p.Name != "Uno" {
		t.Errorf("puppet not replaced: %+v", p)
	}
	must(t, db.DeletePuppet(bg, "wa", "l", "u1"))
	_, err = db.GetPuppet("wa", "l", "u1")
	wantNotFound(t, "deleted puppet", err)
	if _, err := db.GetPuppet("wa", "other", "u1"); err != nil {
		t.Errorf("puppet of another login gone: %v", err)
	}
	must(t, db.DeletePuppet(bg, "wa", "nologin", "u1"))
}

func TestMessageMap(t *testing.T) {
	db := openTemp(t)
	when := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	ref := MessageRef{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "r1",
		OriginID: "orig", StanzaID: "stz", ID: "attr", FromMe: true, Time: when}
	must(t, db.PutMessages(bg, []MessageRef{ref}))

	got, err := db.LookupRemote("wa", "l", "c", "r1")
	must(t, err)
	if !reflect.DeepEqual(got, ref) {
		t.Errorf("LookupRemote = %+v, want %+v", got, ref)
	}
	for _, id := range []string{"orig", "stz", "attr"} {
		got, err := db.LookupXMPP("wa", "l", "c", id)
		if err != nil || !reflect.DeepEqual(got, ref) {
			t.Errorf("LookupXMPP(%s) = %+v, %v", id, got, err)
		}
	}
	// Scoped by chat, login and transport.
	for _, k := range [][3]string{{"wa", "l", "c2"}, {"wa", "l2", "c"}, {"tg", "l", "c"}} {
		_, err := db.LookupXMPP(k[0], k[1], k[2], "orig")
		wantNotFound(t, fmt.Sprint("LookupXMPP in ", k), err)
		_, err = db.LookupRemote(k[0], k[1], k[2], "r1")
		wantNotFound(t, fmt.Sprint("LookupRemote in ", k), err)
	}
	_, err = db.LookupXMPP("wa", "l", "c", "nope")
	wantNotFound(t, "unknown XMPP id", err)

	// Replacing the ref drops XMPP ids it no longer has.
	ref2 := ref
	ref2.OriginID, ref2.ID, ref2.Time = "orig2", "", when.Add(time.Hour)
	must(t, db.PutMessages(bg, []MessageRef{ref2}))
	for _, id := range []string{"orig", "attr"} {
		_, err := db.LookupXMPP("wa", "l", "c", id)
		wantNotFound(t, "stale id "+id, err)
	}
	for _, id := range []string{"orig2", "stz"} {
		if got, err := db.LookupXMPP("wa", "l", "c", id); err != nil || !reflect.DeepEqual(got, ref2) {
			t.Errorf("LookupXMPP(%s) after replace = %+v, %v", id, got, err)
		}
	}
	if n := countAge(t, db, "wa", "l"); n != 1 {
		t.Errorf("age index has %d entries after replacing one ref, want 1", n)
	}

	// An empty chat ID is a chat like any other, distinct from the rest.
	must(t, db.PutMessages(bg, []MessageRef{{Transport: "wa", LoginID: "l", RemoteID: "r1", ID: "x"}}))
	if got, err := db.LookupXMPP("wa", "l", "", "x"); err != nil || got.RemoteID != "r1" || got.Time.IsZero() {
		t.Errorf("empty chat: %+v, %v", got, err)
	}
	_, err = db.LookupXMPP("wa", "l", "c", "x")
	wantNotFound(t, "id of the empty chat in chat c", err)
}

// countAge counts a login's age index entries.
func countAge(t *testing.T, db *DB, transport, login string) int {
	t.Helper()
	n := 0
	must(t, flushedView(t, db, func(tx *bbolt.Tx) error {
		if a := sub(loginBucket(tx, transport, login), bAge); a != nil {
			n = a.Stats().KeyN
		}
		return nil
	}))
	return n
}

func TestCommitEventsDedup(t *testing.T) {
	db := openTemp(t)
	ev := func(dedup, payload string) InboundEvent {
		return InboundEvent{LoginID: "l", ChatID: "c", DedupID: dedup, Payload: []byte(payload),
			Ref: &MessageRef{RemoteID: dedup, StanzaID: "s-" + payload}}
	}
	fresh, keys, err := db.CommitEvents(bg, "wa", []InboundEvent{ev("m1", "a"), ev("m1", "b"), ev("m2", "c")})
	must(t, err)
	if fmt.Sprint(fresh) != "[true false true]" || keys[0] == 0 || keys[1] != 0 || keys[2] <= keys[0] {
		t.Fatalf("first call: fresh=%v keys=%v", fresh, keys)
	}
	// The duplicate's ref was not stored either.
	_, err = db.LookupXMPP("wa", "l", "c", "s-b")
	wantNotFound(t, "ref of a duplicate", err)

	fresh, _, err = db.CommitEvents(bg, "wa", []InboundEvent{ev("m1", "d")})
	must(t, err)
	if fresh[0] {
		t.Error("duplicate across calls stored")
	}
	db = reopen(t, db)
	fresh, _, err = db.CommitEvents(bg, "wa", []InboundEvent{ev("m2", "e"), ev("m3", "f")})
	must(t, err)
	if fmt.Sprint(fresh) != "[false true]" {
		t.Errorf("after reopen: fresh=%v", fresh)
	}

	// Not deduplicated: empty DedupID, or the same ID in another chat/login.
	fresh, _, err = db.CommitEvents(bg, "wa", []InboundEvent{
		{LoginID: "l", ChatID: "c", Payload: []byte("typing")},
		{LoginID: "l", ChatID: "c", Payload: []byte("typing")},
		{LoginID: "l", ChatID: "c2", DedupID: "m1"},
		{LoginID: "l2", ChatID: "c", DedupID: "m1"},
		{Payload: []byte("transport-wide")},
	})
	must(t, err)
	if fmt.Sprint(fresh) != "[true true true true true]" {
		t.Errorf("non-duplicates: fresh=%v", fresh)
	}

	ob, err := db.Outbox("wa")
	must(t, err)
	var payloads []string
	for _, e := range ob {
		payloads = append(payloads, string(e.Payload))
	}
	if got := strings.Join(payloads, ","); got != "a,c,f,typing,typing,,,transport-wide" {
		t.Errorf("outbox payloads = %q", got)
	}
	if r, err := db.LookupXMPP("wa", "l", "c", "s-f"); err != nil || r.RemoteID != "m3" || r.Transport != "wa" || r.LoginID != "l" || r.ChatID != "c" {
		t.Errorf("ref stored with event: %+v, %v", r, err)
	}
}

func TestOutboxOrderAndDone(t *testing.T) {
	db := openTemp(t)
	var all []uint64
	for i := range 5 {
		_, keys, err := db.CommitEvents(bg, "wa", []InboundEvent{
			{Seq: uint64(100 - i), LoginID: "l", ChatID: "c", Payload: []byte{byte(i)}},
		})
		must(t, err)
		all = append(all, keys[0])
	}
	_, _, err := db.CommitEvents(bg, "tg", []InboundEvent{{Seq: 1, Payload: []byte("other")}})
	must(t, err)

	ob, err := db.Outbox("wa")
	must(t, err)
	if len(ob) != 5 {
		t.Fatalf("outbox has %d entries, want 5", len(ob))
	}
	for i, e := range ob {
		// Key order is commit order, whatever the plugin's Seq says.
		if e.Key != all[i] || e.Seq != uint64(100-i) || e.Payload[0] != byte(i) || e.LoginID != "l" || e.ChatID != "c" {
			t.Errorf("entry %d = %+v", i, e)
		}
		if i > 0 && e.Key <= ob[i-1].Key {
			t.Errorf("keys not increasing: %d then %d", ob[i-1].Key, e.Key)
		}
	}

	page, err := db.OutboxPage("wa", all[1], 2)
	must(t, err)
	if len(page) != 2 || page[0].Key != all[2] || page[1].Key != all[3] {
		t.Errorf("OutboxPage(after %d, 2) = %+v", all[1], page)
	}
	if page, _ := db.OutboxPage("wa", all[4], 0); len(page) != 0 {
		t.Errorf("OutboxPage past the end = %+v", page)
	}

	must(t, db.OutboxDone(bg, "wa", []uint64{all[0], all[2], 999999}))
	must(t, db.OutboxDone(bg, "wa", []uint64{all[0]})) // twice is fine
	ob, err = db.Outbox("wa")
	must(t, err)
	if len(ob) != 3 || ob[0].Key != all[1] || ob[1].Key != all[3] || ob[2].Key != all[4] {
		t.Errorf("after OutboxDone: %+v", ob)
	}
	if tg, _ := db.Outbox("tg"); len(tg) != 1 {
		t.Errorf("other transport's outbox touched: %+v", tg)
	}

	// Keys keep growing after everything is done and the file is reopened.
	must(t, db.OutboxDone(bg, "wa", all))
	db = reopen(t, db)
	_, keys, err := db.CommitEvents(bg, "wa", []InboundEvent{{Payload: []byte("x")}})
	must(t, err)
	if keys[0] <= all[4] {
		t.Errorf("key %d reused after %d", keys[0], all[4])
	}
}

func TestPrune(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "p.db"), Options{PruneChunk: 7})
	now := time.Now()
	var refs []MessageRef
	for i := range 40 {
		age := 48 * time.Hour // old
		if i%4 == 0 {
			age = time.Minute // recent
		}
		refs = append(refs, MessageRef{Transport: "wa", LoginID: fmt.Sprint("l", i%3), ChatID: "c",
			RemoteID: fmt.Sprint("r", i), OriginID: fmt.Sprint("o", i), Time: now.Add(-age)})
	}
	must(t, db.PutMessages(bg, refs))
	_, _, err := db.CommitEvents(bg, "wa", []InboundEvent{{LoginID: "l0", ChatID: "c", DedupID: "d1"}})
	must(t, err)
	must(t, db.PutTxn(bg, "wa", "l0", "t1", "r"))

	n, err := db.PruneMessages(bg, now.Add(-24*time.Hour))
	must(t, err)
	if n != 30 {
		t.Errorf("pruned %d refs, want 30", n)
	}
	for i, r := range refs {
		_, errR := db.LookupRemote("wa", r.LoginID, "c", r.RemoteID)
		_, errX := db.LookupXMPP("wa", r.LoginID, "c", r.OriginID)
		if i%4 == 0 {
			if errR != nil || errX != nil {
				t.Errorf("recent ref %d pruned: %v, %v", i, errR, errX)
			}
		} else {
			wantNotFound(t, fmt.Sprint("old ref ", i), errR)
			wantNotFound(t, fmt.Sprint("old ref by XMPP id ", i), errX)
		}
	}
	// Dedup keys and txns recorded just now survive that prune...
	fresh, _, err := db.CommitEvents(bg, "wa", []InboundEvent{{LoginID: "l0", ChatID: "c", DedupID: "d1"}})
	must(t, err)
	if fresh[0] {
		t.Error("recent dedup key pruned")
	}
	if _, err := db.GetTxn("wa", "l0", "t1"); err != nil {
		t.Errorf("recent txn pruned: %v", err)
	}

	// ...and go with everything else once the cutoff passes them.
	n, err = db.PruneMessages(bg, now.Add(time.Hour))
	must(t, err)
	if n != 10 {
		t.Errorf("second prune: %d refs, want 10", n)
	}
	_, err = db.GetTxn("wa", "l0", "t1")
	wantNotFound(t, "old txn", err)
	fresh, _, err = db.CommitEvents(bg, "wa", []InboundEvent{{LoginID: "l0", ChatID: "c", DedupID: "d1"}})
	must(t, err)
	if !fresh[0] {
		t.Error("old dedup key not pruned")
	}
	// No index entry is left over but the dedup key just recorded.
	for i := range 3 {
		login := fmt.Sprint("l", i)
		want := 0
		if i == 0 {
			want = 1
		}
		if got := countAge(t, db, "wa", login); got != want {
			t.Errorf("%s: %d age entries left, want %d", login, got, want)
		}
		must(t, flushedView(t, db, func(tx *bbolt.Tx) error {
			lb := loginBucket(tx, "wa", login)
			for _, name := range [][]byte{bMsgs, bXMPP, bTxn} {
				if b := sub(lb, name); b != nil && b.Stats().KeyN != 0 {
					t.Errorf("%s: bucket %s has %d keys left", login, name, b.Stats().KeyN)
				}
			}
			return nil
		}))
	}
}

func TestConcurrentWriters(t *testing.T) {
	db := openTemp(t)
	const workers, each = 32, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*4)
	keys := make(chan uint64, workers*each)
	for w := range workers {
		wg.Go(func() {
			login := fmt.Sprint("l", w%4)
			for i := range each {
				id := fmt.Sprintf("w%d-%d", w, i)
				fresh, k, err := db.CommitEvents(bg, "wa", []InboundEvent{{
					LoginID: login, ChatID: "c", DedupID: id, Payload: []byte(id),
					Ref: &MessageRef{RemoteID: id, OriginID: "o-" + id},
				}})
				if err != nil || !fresh[0] {
					errs <- fmt.Errorf("commit %s: %v %v", id, fresh, err)
					continue
				}
				keys <- k[0]
				if err := db.PutTxn(bg, "wa", login, id, "r-"+id); err != nil {
					errs <- err
				}
				// A failing op in the same batches must not poison the others.
				if err := db.SetSavedState(bg, "wa", "ghost-"+id, nil); !errors.Is(err, ErrNotFound) {
					errs <- fmt.Errorf("SetSavedState of a missing login: %v", err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	close(keys)
	for err := range errs {
		t.Error(err)
	}
	seen := map[uint64]bool{}
	for k := range keys {
		if seen[k] {
			t.Errorf("outbox key %d handed out twice", k)
		}
		seen[k] = true
	}
	ob, err := db.Outbox("wa")
	must(t, err)
	if len(ob) != workers*each || len(seen) != workers*each {
		t.Errorf("outbox has %d entries, %d keys returned, want %d", len(ob), len(seen), workers*each)
	}
	for w := range workers {
		login := fmt.Sprint("l", w%4)
		for i := range each {
			id := fmt.Sprintf("w%d-%d", w, i)
			if r, err := db.LookupXMPP("wa", login, "c", "o-"+id); err != nil || r.RemoteID != id {
				t.Errorf("ref %s: %+v %v", id, r, err)
			}
			if r, err := db.GetTxn("wa", login, id); err != nil || r != "r-"+id {
				t.Errorf("txn %s: %q %v", id, r, err)
			}
		}
	}
}

// TestGroupCommit holds the writer busy, queues ops from many goroutines
// and checks they are all committed in one transaction.
func TestGroupCommit(t *testing.T) {
	db := openTemp(t)
	release := holdWriter(db)

	const n = 20
	txIDs := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := db.submit(bg, func(tx *bbolt.Tx) error {
				txIDs[i] = tx.ID()
				b, err := tx.CreateBucketIfNotExists([]byte("test"))
				if err != nil {
					return err
				}
				return b.Put(fmt.Append(nil, i), []byte{1})
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	for len(db.ops) < n { // wait until all are queued behind the blocker
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	for i := range n {
		if txIDs[i] != txIDs[0] {
			t.Fatalf("queued ops ran in different transactions: %v", txIDs)
		}
	}
}

// TestBatchIsolation drives apply directly with a batch in which one op
// fails after writing, one fails cleanly and one was canceled.
func TestBatchIsolation(t *testing.T) {
	db := openTemp(t)
	put := func(key string) func(*bbolt.Tx) error {
		return func(tx *bbolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("test"))
			if err != nil {
				return err
			}
			return b.Put([]byte(key), []byte{1})
		}
	}
	errDirty := errors.New("dirty failure")
	errClean := errors.New("clean failure")
	canceled, cancel := context.WithCancel(bg)
	cancel()
	ran := map[string]int{}
	mk := func(ctx context.Context, name string, fn func(*bbolt.Tx) error) *op {
		return &op{ctx: ctx, done: make(chan error, 1), fn: func(tx *bbolt.Tx) error {
			ran[name]++
			return fn(tx)
		}}
	}
	ops := []*op{
		mk(bg, "a", put("a")),
		mk(bg, "dirty", func(tx *bbolt.Tx) error {
			if err := put("dirty")(tx); err != nil {
				return err
			}
			return errDirty
		}),
		mk(bg, "clean", func(*bbolt.Tx) error { return &cleanError{errClean} }),
		mk(canceled, "canceled", put("canceled")),
		mk(bg, "b", put("b")),
	}
	db.apply(ops)
	want := []error{nil, errDirty, errClean, context.Canceled, nil}
	for i, o := range ops {
		if err := <-o.done; !errors.Is(err, want[i]) {
			t.Errorf("op %d: got %v, want %v", i, err, want[i])
		}
	}
	if ran["canceled"] != 0 {
		t.Error("op of a canceled caller ran")
	}
	must(t, db.view(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("test"))
		for key, want := range map[string]bool{"a": true, "b": true, "dirty": false, "canceled": false} {
			if got := b != nil && b.Get([]byte(key)) != nil; got != want {
				t.Errorf("key %s stored = %v, want %v", key, got, want)
			}
		}
		return nil
	}))
}

func TestCodecRoundTrip(t *testing.T) {
	for _, tm := range []time.Time{{}, time.Unix(0, 0), time.Date(1600, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(3000, 12, 31, 23, 59, 59, 999999999, time.UTC)} {
		e := newEnc(0)
		e.time(tm)
		d := newDec(e.b)
		if got := d.time(); d.err != nil || !got.Equal(tm) || got.IsZero() != tm.IsZero() {
			t.Errorf("time %v round-trips to %v (%v)", tm, got, d.err)
		}
	}
	// Age keys sort by time, across the Unix epoch too.
	times := []time.Time{time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(-1, 999), time.Unix(0, 0), time.Unix(0, 1), time.Unix(1, 0)}
	for i := 1; i < len(times); i++ {
		if bytes.Compare(timeKey(times[i-1]), timeKey(times[i])) >= 0 {
			t.Errorf("timeKey(%v) >= timeKey(%v)", times[i-1], times[i])
		}
	}
	// Composite keys do not collide where naive joining would.
	if bytes.Equal(comp("a", "bc"), comp("ab", "c")) || bytes.Equal(comp("", "a"), comp("a", "")) {
		t.Error("composite keys collide")
	}
	parts, err := splitComp(comp("x", "", "yz"))
	if err != nil || fmt.Sprint(parts) != "[x  yz]" {
		t.Errorf("splitComp = %q, %v", parts, err)
	}
	if _, err := decodeLogin("t", "u", []byte{recV1, 5, 'a'}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("truncated record: %v", err)
	}
}

// TestCancelWhileCommitting cancels a caller's ctx while its op runs in the
// writer's transaction: the caller returns at once and the write, which
// may still land, must not race with it.
func TestCancelWhileCommitting(t *testing.T) {
	db := openTemp(t)
	release := holdWriter(db)

	ctx, cancel := context.WithCancel(bg)
	// Queued first, so it runs first in the next batch and cancels the
	// CommitEvents caller from inside the transaction.
	go func() {
		_ = db.submit(bg, func(*bbolt.Tx) error {
			cancel()
			return nil
		})
	}()
	for len(db.ops) < 1 {
		runtime.Gosched()
	}
	type result struct {
		fresh []bool
		err   error
	}
	done := make(chan result)
	go func() {
		fresh, _, err := db.CommitEvents(ctx, "wa", []InboundEvent{{LoginID: "l", DedupID: "d", Payload: []byte("p")}})
		done <- result{fresh, err}
	}()
	for len(db.ops) < 2 {
		runtime.Gosched()
	}
	close(release)
	r := <-done
	if r.err != nil && !errors.Is(r.err, context.Canceled) {
		t.Fatalf("CommitEvents: %v", r.err)
	}
	if r.err == nil && (len(r.fresh) != 1 || !r.fresh[0]) {
		t.Fatalf("CommitEvents succeeded with fresh=%v", r.fresh)
	}
	must(t, db.Close()) // waits for the writer: the outcome is settled
	db = openAt(t, db.Path(), Options{})
	ob, err := db.Outbox("wa")
	must(t, err)
	if r.err == nil && len(ob) != 1 {
		t.Errorf("acknowledged event missing: outbox %+v", ob)
	}
}

func TestPutSent(t *testing.T) {
	db := openTemp(t)
	ref := MessageRef{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "r1", OriginID: "o1", ID: "i1", FromMe: true}
	must(t, db.PutSent(bg, ref, "o1"))
	got, err := db.LookupXMPP("wa", "l", "c", "i1")
	must(t, err)
	if got.RemoteID != "r1" || !got.FromMe || got.OriginID != "o1" {
		t.Fatalf("LookupXMPP = %+v", got)
	}
	remote, err := db.GetTxn("wa", "l", "o1")
	must(t, err)
	if remote != "r1" {
		t.Fatalf("GetTxn = %q, want r1", remote)
	}
	// Without a txn, only the map entry.
	must(t, db.PutSent(bg, MessageRef{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "r2", ID: "i2"}, ""))
	if _, err := db.LookupRemote("wa", "l", "c", "r2"); err != nil {
		t.Fatal(err)
	}
	_, err = db.GetTxn("wa", "l", "i2")
	wantNotFound(t, "txn of a PutSent without one", err)
	// Invalid input writes nothing.
	if err := db.PutSent(bg, MessageRef{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "r3"}, "bad\x00txn"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("NUL in txn: err = %v, want ErrInvalid", err)
	}
	if _, err := db.LookupRemote("wa", "l", "c", "r3"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused PutSent stored its ref: %v", err)
	}
}

// TestLazyWritesSurviveReopen: a batch of only lazy writes (committed
// without fsync) is on disk for the next process, and a strict write after
// it leaves the file consistent.
func TestLazyWritesSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db := openAt(t, path, Options{})
	ref := MessageRef{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "r1", ID: "i1", FromMe: true}
	must(t, db.PutSent(bg, ref, "t1"))
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "u@h", LoginID: "l"}))
	must(t, db.PutSent(bg, MessageRef{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "r2", ID: "i2"}, ""))
	must(t, db.Close())
	db = openAt(t, path, Options{})
	for _, id := range []string{"i1", "i2"} {
		if _, err := db.LookupXMPP("wa", "l", "c", id); err != nil {
			t.Fatalf("%s after reopen: %v", id, err)
		}
	}
	if _, err := db.GetLogin("wa", "u@h"); err != nil {
		t.Fatal(err)
	}
}

func TestSeen(t *testing.T) {
	db := openTemp(t)
	evs := []InboundEvent{
		{LoginID: "l", ChatID: "c", DedupID: "e1", Payload: []byte("1")},
		{LoginID: "l", ChatID: "c", DedupID: "e2", Payload: []byte("2")},
		{LoginID: "l", ChatID: "c", Payload: []byte("3")},
	}
	seen, err := db.Seen("wa", evs)
	must(t, err)
	if seen[0] || seen[1] || seen[2] {
		t.Fatalf("nothing committed yet, seen = %v", seen)
	}
	if _, _, err := db.CommitEvents(bg, "wa", evs[:1]); err != nil {
		t.Fatal(err)
	}
	seen, err = db.Seen("wa", evs)
	must(t, err)
	if !seen[0] || seen[1] || seen[2] {
		t.Fatalf("after committing e1, seen = %v", seen)
	}
	if seen, _ := db.Seen("other", evs); seen[0] {
		t.Fatal("dedup keys are per transport")
	}
}

// TestSeenInBbolt: Seen finds dedup keys and message map entries that
// reached bbolt, per login, among events of several logins in one call.
func TestSeenInBbolt(t *testing.T) {
	db := openTemp(t)
	_, _, err := db.CommitEvents(bg, "wa", []InboundEvent{
		{LoginID: "l1", ChatID: "c", DedupID: "e1", Payload: []byte("1")},
		{LoginID: "l2", ChatID: "c", DedupID: "m1", Payload: []byte("2"), DedupByRef: true, Ref: &MessageRef{RemoteID: "m1", ID: "x1"}},
	})
	must(t, err)
	must(t, db.Flush(bg)) // out of the log, into bbolt
	evs := []InboundEvent{
		{LoginID: "l1", ChatID: "c", DedupID: "e1"},                   // dedup key
		{LoginID: "l2", ChatID: "c", DedupID: "m1", DedupByRef: true}, // message map entry
		{LoginID: "l1", ChatID: "c", DedupID: "e9"},
		{LoginID: "l2", ChatID: "c", DedupID: "m9", DedupByRef: true},
		{LoginID: "l2", ChatID: "d", DedupID: "m1", DedupByRef: true}, // another chat
		{LoginID: "l1", ChatID: "c", DedupID: "m1", DedupByRef: true}, // another login
		{LoginID: "l3", ChatID: "c", DedupID: "e1"},                   // a login with no bucket
		{LoginID: "l1", ChatID: "c", DedupID: "e1"},                   // a login seen before in the call
	}
	seen, err := db.Seen("wa", evs)
	must(t, err)
	want := []bool{true, true, false, false, false, false, false, true}
	for i := range want {
		if seen[i] != want[i] {
			t.Errorf("event %d (%s/%s/%s): seen %v, want %v", i, evs[i].LoginID, evs[i].ChatID, evs[i].DedupID, seen[i], want[i])
		}
	}
}

// TestCommitDelivered: a delivered event keeps its dedup key and message
// map entry but gets no outbox entry.
func TestCommitDelivered(t *testing.T) {
	db := openTemp(t)
	evs := []InboundEvent{
		{LoginID: "l", ChatID: "c", DedupID: "e1", Payload: []byte("1"), Delivered: true,
			Ref: &MessageRef{RemoteID: "e1", ID: "x1"}},
		{LoginID: "l", ChatID: "c", DedupID: "e2", Payload: []byte("2")},
	}
	fresh, keys, err := db.CommitEvents(bg, "wa", evs)
	must(t, err)
	if !fresh[0] || !fresh[1] || keys[0] != 0 || keys[1] == 0 {
		t.Fatalf("fresh %v keys %v", fresh, keys)
	}
	out, err := db.Outbox("wa")
	must(t, err)
	if len(out) != 1 || string(out[0].Payload) != "2" {
		t.Fatalf("outbox %+v, want only the undelivered event", out)
	}
	if _, err := db.LookupXMPP("wa", "l", "c", "x1"); err != nil {
		t.Fatalf("ref of the delivered event: %v", err)
	}
	fresh, _, err = db.CommitEvents(bg, "wa", evs[:1])
	must(t, err)
	if fresh[0] {
		t.Fatal("a delivered event must still be deduplicated")
	}
}

// TestDedupByRef: a message event whose Ref is its dedup key is still
// stored once, across calls, within a call, and for Seen.
func TestDedupByRef(t *testing.T) {
	db := openTemp(t)
	ev := InboundEvent{LoginID: "l", ChatID: "c", DedupID: "m1", Payload: []byte("1"), DedupByRef: true,
		Ref: &MessageRef{RemoteID: "m1", ID: "x1"}}
	fresh, _, err := db.CommitEvents(bg, "wa", []InboundEvent{ev, ev})
	must(t, err)
	if !fresh[0] || fresh[1] {
		t.Fatalf("in one call: %v", fresh)
	}
	fresh, _, err = db.CommitEvents(bg, "wa", []InboundEvent{ev})
	must(t, err)
	if fresh[0] {
		t.Fatal("across calls: stored twice")
	}
	seen, err := db.Seen("wa", []InboundEvent{ev})
	must(t, err)
	if !seen[0] {
		t.Fatal("Seen misses a ref-deduplicated event")
	}
	if out, _ := db.Outbox("wa"); len(out) != 1 {
		t.Fatalf("outbox has %d entries, want 1", len(out))
	}
}

// flushedView reads bbolt itself once every logged write is in it.
func flushedView(t *testing.T, db *DB, fn func(tx *bbolt.Tx) error) error {
	t.Helper()
	must(t, db.Flush(context.Background()))
	return db.view(fn)
}

// holdWriter keeps the writer busy in a transaction until the returned
// channel is closed, so that ops queue up behind it.
func holdWriter(db *DB) chan struct{} {
	release := make(chan struct{})
	blocked := make(chan struct{})
	go func() {
		_ = db.submit(bg, func(*bbolt.Tx) error {
			close(blocked)
			<-release
			return nil
		})
	}()
	<-blocked
	return release
}

// TestLoginSeesPresence: the flag is stored and kept by SetSavedState; a
// login written before the flag existed reads as false, not corrupt.
func TestLoginSeesPresence(t *testing.T) {
	db := openTemp(t)
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "alice@example.org", LoginID: "+331", SeesPresence: true}))
	must(t, db.SetSavedState(bg, "wa", "alice@example.org", []byte{1}))
	l, err := db.GetLogin("wa", "alice@example.org")
	must(t, err)
	if !l.SeesPresence {
		t.Error("SeesPresence lost")
	}
	must(t, db.SetSeesPresence(bg, "wa", "alice@example.org", false))
	l, err = db.GetLogin("wa", "alice@example.org")
	must(t, err)
	if l.SeesPresence || !bytes.Equal(l.SavedState, []byte{1}) {
		t.Errorf("after SetSeesPresence(false): %+v", l)
	}
	wantNotFound(t, "SetSeesPresence on absent login", db.SetSeesPresence(bg, "wa", "nobody@example.org", true))
	old := newEnc(32)
	old.str("+332")
	old.str("Bob")
	old.bytes(nil)
	old.time(time.Unix(1, 0))
	old.time(time.Unix(2, 0))
	b, err := decodeLogin("wa", "bob@example.org", old.b)
	if err != nil || b.SeesPresence || b.LoginID != "+332" || b.DisplayName != "Bob" {
		t.Errorf("login in the old format = %+v, %v", b, err)
	}
}

// TestOpenReadsLittle: opening a large store maps it but reads only what
// it needs (the freelist is stored, not rebuilt from every page), so the
// gateway's start and its RSS do not grow with the file.
func TestOpenReadsLittle(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads RssFile from /proc")
	}
	db := openTemp(t)
	ps := make([]Puppet, 100_000)
	for i := range ps {
		ps[i] = Puppet{Transport: "wa", LoginID: "l", UserID: fmt.Sprintf("+33%09d", i), Name: strings.Repeat("n", 100)}
	}
	must(t, db.PutPuppets(bg, ps))
	must(t, db.DeletePuppets(bg, "wa", "l", []string{"+33000000001", "+33000000002"})) // some free pages
	path := db.Path()
	must(t, db.Close())
	fi, err := os.Stat(path)
	must(t, err)
	rssFile := func() int64 {
		b, err := os.ReadFile("/proc/self/status")
		must(t, err)
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "RssFile:"); ok {
				var kb int64
				fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kb)
				return kb << 10
			}
		}
		t.Fatal("no RssFile in /proc/self/status")
		return 0
	}
	before := rssFile()
	db = openAt(t, path, Options{})
	defer db.Close()
	if grew := rssFile() - before; grew > fi.Size()/4 {
		t.Errorf("opening a %d KiB store made %d KiB of it resident: Open read the whole file", fi.Size()>>10, grew>>10)
	}
}

// TestOutboxDoneAcrossGenerations: whether a removal lands in the put's
// log generation or a later one, what the outbox reads before and after a
// reopen is the same, and keys keep growing.
func TestOutboxDoneAcrossGenerations(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "d.db"), Options{CheckpointRecords: 3, CheckpointInterval: time.Millisecond})
	var keys []uint64
	for i := range 12 {
		_, k, err := db.CommitEvents(bg, "wa", []InboundEvent{{LoginID: "l", ChatID: "c", Payload: []byte{byte(i)}}})
		must(t, err)
		keys = append(keys, k[0])
		if i%3 == 2 { // some removals soon after their put, some a generation or more later
			must(t, db.OutboxDone(bg, "wa", []uint64{keys[i], keys[i/2]}))
		}
	}
	check := func(when string) {
		t.Helper()
		ob, err := db.Outbox("wa")
		must(t, err)
		var got []byte
		for _, e := range ob {
			got = append(got, e.Payload[0])
		}
		if want := []byte{0, 3, 6, 7, 9, 10}; !bytes.Equal(got, want) {
			t.Errorf("%s: outbox holds %v, want %v", when, got, want)
		}
	}
	check("before reopen")
	db = reopen(t, db)
	check("after reopen")
	_, k, err := db.CommitEvents(bg, "wa", []InboundEvent{{Payload: []byte("x")}})
	must(t, err)
	if k[0] <= keys[len(keys)-1] {
		t.Errorf("key %d reused after %d", k[0], keys[len(keys)-1])
	}
}

// TestLoginAvatarSharing: the choice to share the user's avatar and the
// hash of the picture set are stored, with or without a login folder,
// and kept by SetSavedState and SetDataDir; a login written before them
// (with a folder or without) reads as not sharing.
func TestLoginAvatarSharing(t *testing.T) {
	db := openTemp(t)
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "alice@example.org", LoginID: "+331"}))
	must(t, db.SetAvatarSharing(bg, "wa", "alice@example.org", true, "abc"))
	must(t, db.SetSavedState(bg, "wa", "alice@example.org", []byte{1}))
	l, err := db.GetLogin("wa", "alice@example.org")
	must(t, err)
	if !l.ShareAvatar || l.SharedAvatar != "abc" || l.DataDir != "" {
		t.Errorf("without a folder: %+v", l)
	}
	must(t, db.SetDataDir(bg, "wa", "alice@example.org", "d1"))
	l, err = db.GetLogin("wa", "alice@example.org")
	must(t, err)
	if !l.ShareAvatar || l.SharedAvatar != "abc" || l.DataDir != "d1" {
		t.Errorf("with a folder: %+v", l)
	}
	must(t, db.SetAvatarSharing(bg, "wa", "alice@example.org", false, ""))
	l, err = db.GetLogin("wa", "alice@example.org")
	must(t, err)
	if l.ShareAvatar || l.SharedAvatar != "" || l.DataDir != "d1" || !bytes.Equal(l.SavedState, []byte{1}) {
		t.Errorf("turned off: %+v", l)
	}
	wantNotFound(t, "SetAvatarSharing on absent login", db.SetAvatarSharing(bg, "wa", "nobody@example.org", true, ""))

	for _, dir := range []string{"", "d2"} {
		old := Login{LoginID: "+332", DisplayName: "Bob", SeesPresence: true, DataDir: dir}
		b, err := decodeLogin("wa", "bob@example.org", encodeLogin(old))
		if err != nil || b.ShareAvatar || b.SharedAvatar != "" || b.DataDir != dir || !b.SeesPresence {
			t.Errorf("login without sharing, folder %q = %+v, %v", dir, b, err)
		}
	}
}

// TestLoginFeaturesStored: a login's own features (Login.Features) are
// stored, kept across a reopen and by the other setters, and cleared with
// nil; the fields before them read back beside them, and a login stored
// before them (with or without those fields) reads as having none.
func TestLoginFeaturesStored(t *testing.T) {
	db := openTemp(t)
	const user = "alice@example.org"
	must(t, db.PutLogin(bg, Login{Transport: "tg", UserJID: user, LoginID: "bot1", SeesPresence: true}))
	feats := []byte{0x08, 0x01, 0x10, 0x01}
	must(t, db.SetLoginFeatures(bg, "tg", user, feats))
	feats[0] = 0xff // the store kept its own copy
	must(t, db.SetSavedState(bg, "tg", user, []byte{7}))
	must(t, db.SetAvatarSharing(bg, "tg", user, false, ""))
	db = reopen(t, db)
	l, err := db.GetLogin("tg", user)
	must(t, err)
	if !bytes.Equal(l.Features, []byte{0x08, 0x01, 0x10, 0x01}) || !bytes.Equal(l.SavedState, []byte{7}) || !l.SeesPresence || l.DataDir != "" || l.ShareAvatar {
		t.Errorf("after a reopen: %+v", l)
	}
	ls, err := db.ListLogins("tg")
	must(t, err)
	if len(ls) != 1 || !bytes.Equal(ls[0].Features, l.Features) {
		t.Errorf("listed: %+v", ls)
	}
	must(t, db.SetLoginFeatures(bg, "tg", user, nil))
	db = reopen(t, db)
	if l, err = db.GetLogin("tg", user); err != nil || l.Features != nil || !bytes.Equal(l.SavedState, []byte{7}) {
		t.Errorf("cleared: %+v, %v", l, err)
	}
	wantNotFound(t, "SetLoginFeatures on absent login", db.SetLoginFeatures(bg, "tg", "nobody@example.org", feats))

	full := Login{LoginID: "+1", DisplayName: "Bob", SeesPresence: true, DataDir: "d", ShareAvatar: true, SharedAvatar: "abc", Features: []byte{1, 2}}
	if b, err := decodeLogin("tg", "bob@example.org", encodeLogin(full)); err != nil || b.LoginID != "+1" || b.DataDir != "d" || !b.ShareAvatar || b.SharedAvatar != "abc" || !bytes.Equal(b.Features, full.Features) {
		t.Errorf("every field = %+v, %v", b, err)
	}
	for _, old := range []Login{{LoginID: "+2"}, {LoginID: "+2", DataDir: "d"}, {LoginID: "+2", ShareAvatar: true, SharedAvatar: "abc"}} {
		if b, err := decodeLogin("tg", "bob@example.org", encodeLogin(old)); err != nil || b.Features != nil || b.DataDir != old.DataDir || b.SharedAvatar != old.SharedAvatar {
			t.Errorf("login without features %+v = %+v, %v", old, b, err)
		}
	}
}
