package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// hotOnly keeps every write in the log until Flush or Close, so a test
// reads both from the log's index and, after Flush, from bbolt.
var hotOnly = Options{CheckpointRecords: 1 << 20, CheckpointInterval: time.Hour}

// TestMessageMeta: Meta is stored beside the remote ID by every way a ref
// is put and returned by every lookup, from the log and from bbolt.
func TestMessageMeta(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "m.db"), hotOnly)
	full := bytes.Repeat([]byte{0, 0xff, 'm'}, MaxMeta/3)
	full = append(full, 'x') // exactly MaxMeta, NULs included
	if len(full) != MaxMeta {
		t.Fatalf("test meta of %d bytes", len(full))
	}
	caller := []byte("sender=bob\x00fromme=0")
	must(t, db.PutMessages(bg, []MessageRef{
		{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "r1", OriginID: "o1", Meta: caller},
		{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "r2", OriginID: "o2", Meta: full},
		{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "r3", OriginID: "o3"},
	}))
	_, _, err := db.CommitEvents(bg, "wa", []InboundEvent{{LoginID: "l", ChatID: "c", DedupID: "r4", Payload: []byte("p"),
		Ref: &MessageRef{RemoteID: "r4", StanzaID: "s4", Meta: []byte("ev-meta")}, DedupByRef: true}})
	must(t, err)
	must(t, db.PutSent(bg, MessageRef{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "r5", OriginID: "o5", FromMe: true, Meta: []byte("sent-meta")}, "o5"))
	copy(caller, "XXXXXX") // the store kept its own copy

	want := map[string][]byte{"r1": []byte("sender=bob\x00fromme=0"), "r2": full, "r3": nil, "r4": []byte("ev-meta"), "r5": []byte("sent-meta")}
	xmpp := map[string]string{"r1": "o1", "r2": "o2", "r3": "o3", "r4": "s4", "r5": "o5"}
	check := func(where string) {
		t.Helper()
		for remote, m := range want {
			r, err := db.LookupRemote("wa", "l", "c", remote)
			if err != nil || !bytes.Equal(r.Meta, m) {
				t.Errorf("%s: LookupRemote(%s).Meta = %q, %v; want %q", where, remote, r.Meta, err, m)
			}
			r, err = db.LookupXMPP("wa", "l", "c", xmpp[remote])
			if err != nil || !bytes.Equal(r.Meta, m) {
				t.Errorf("%s: LookupXMPP(%s).Meta = %q, %v; want %q", where, xmpp[remote], r.Meta, err, m)
			}
		}
	}
	check("in the log")
	must(t, db.Flush(bg))
	check("in bbolt")
	db = reopen(t, db)
	check("after reopen")

	// A put again replaces the meta, or drops it.
	must(t, db.PutMessages(bg, []MessageRef{
		{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "r1", OriginID: "o1", Meta: []byte("edited")},
		{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "r2", OriginID: "o2"},
	}))
	want["r1"], want["r2"] = []byte("edited"), nil
	check("replaced, in the log")
	must(t, db.Flush(bg))
	check("replaced, in bbolt")
}

// TestMessageMetaTooLong: a meta over MaxMeta is refused with ErrInvalid
// and loses nothing else: PutMessages stores none of its batch, and
// CommitEvents rejects that event alone.
func TestMessageMetaTooLong(t *testing.T) {
	db := openTemp(t)
	big := make([]byte, MaxMeta+1)
	err := db.PutMessages(bg, []MessageRef{
		{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "ok", Meta: []byte("m")},
		{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "big", Meta: big},
	})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "metadata") {
		t.Fatalf("PutMessages with %d bytes of meta: %v, want ErrInvalid naming the metadata", len(big), err)
	}
	_, err = db.LookupRemote("wa", "l", "c", "ok")
	wantNotFound(t, "the good ref of a refused batch", err)
	if err := db.PutSent(bg, MessageRef{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "s", Meta: big}, "o"); !errors.Is(err, ErrInvalid) {
		t.Errorf("PutSent with too much meta: %v, want ErrInvalid", err)
	}
	if err := db.CheckEvent("wa", InboundEvent{LoginID: "l", Ref: &MessageRef{RemoteID: "r", Meta: big}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("CheckEvent with too much meta: %v, want ErrInvalid", err)
	}
	fresh, _, err := db.CommitEvents(bg, "wa", []InboundEvent{
		{LoginID: "l", ChatID: "c", DedupID: "e1", Payload: []byte("1"), Ref: &MessageRef{RemoteID: "e1", Meta: big}},
		{LoginID: "l", ChatID: "c", DedupID: "e2", Payload: []byte("2"), Ref: &MessageRef{RemoteID: "e2", Meta: []byte("fine")}},
	})
	must(t, err)
	if fresh[0] || !fresh[1] {
		t.Errorf("fresh = %v, want [false true]", fresh)
	}
	if r, err := db.LookupRemote("wa", "l", "c", "e2"); err != nil || string(r.Meta) != "fine" {
		t.Errorf("the good event's ref: %+v, %v", r, err)
	}
	_, err = db.LookupRemote("wa", "l", "c", "e1")
	wantNotFound(t, "the rejected event's ref", err)
}

// TestLoginDataDir: the login's folder name is stored, returned, kept by
// a put that names none and by the other updates, and survives a reopen.
func TestLoginDataDir(t *testing.T) {
	db := openTemp(t)
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "a@x", LoginID: "l1", DataDir: "k7f3"}))
	get := func(what, want string) {
		t.Helper()
		l, err := db.GetLogin("wa", "a@x")
		if err != nil || l.DataDir != want {
			t.Errorf("%s: DataDir %q, %v; want %q", what, l.DataDir, err, want)
		}
	}
	get("put", "k7f3")
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "a@x", LoginID: "l1", DisplayName: "A"}))
	get("put again without a folder", "k7f3")
	must(t, db.SetSavedState(bg, "wa", "a@x", []byte("s")))
	must(t, db.SetSeesPresence(bg, "wa", "a@x", true))
	get("other updates", "k7f3")
	must(t, db.SetDataDir(bg, "wa", "a@x", "other"))
	get("SetDataDir", "other")
	db = reopen(t, db)
	get("reopen", "other")
	ls, err := db.ListLogins("wa")
	if err != nil || len(ls) != 1 || ls[0].DataDir != "other" {
		t.Errorf("ListLogins: %+v, %v", ls, err)
	}
	for _, bad := range []string{"a/b", `a\b`, ".", "..", "x\x00", strings.Repeat("d", MaxDataDir+1)} {
		err := db.PutLogin(bg, Login{Transport: "wa", UserJID: "a@x", LoginID: "l1", DataDir: bad})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("PutLogin with folder %q: %v, want ErrInvalid", bad, err)
		}
		if err := db.SetDataDir(bg, "wa", "a@x", bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("SetDataDir(%q): %v, want ErrInvalid", bad, err)
		}
	}
	get("after refused folders", "other")
	if err := db.SetDataDir(bg, "wa", "nobody@x", "k"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetDataDir of an absent login: %v, want ErrNotFound", err)
	}
}

// history is a batch of n events at positions from..from+n-1 of chat c: one
// deduplicated by its ref, one by a key, one never deduplicated, in turn.
func history(login, chat string, seq uint64, from, n int, cursor string, done bool) HistoryBatch {
	b := HistoryBatch{LoginID: login, ChatID: chat, Seq: seq, Cursor: cursor, Done: done}
	for i := from; i < from+n; i++ {
		id := fmt.Sprintf("%s-%d", chat, i)
		ev := InboundEvent{Seq: seq, Payload: []byte(id)}
		switch i % 3 {
		case 0:
			ev.DedupID, ev.Ref, ev.DedupByRef = id, &MessageRef{RemoteID: id, StanzaID: "s" + id, Meta: []byte("m" + id)}, true
		case 1:
			ev.DedupID = id
		}
		b.Events = append(b.Events, ev)
	}
	return b
}

func outboxPayloads(t *testing.T, db *DB, transport string) map[string]int {
	t.Helper()
	ob, err := db.Outbox(transport)
	must(t, err)
	n := map[string]int{}
	for _, e := range ob {
		n[string(e.Payload)]++
	}
	return n
}

func TestCommitHistory(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "h.db"), hotOnly)
	// A live event the history will repeat.
	fresh, _, err := db.CommitEvents(bg, "wa", []InboundEvent{{LoginID: "l", ChatID: "c", DedupID: "c-4", Payload: []byte("live c-4")}})
	must(t, err)
	if !fresh[0] {
		t.Fatal("live event not fresh")
	}
	_, err = db.GetCursor("wa", "l", "c")
	wantNotFound(t, "cursor before any batch", err)

	// Newest first: positions 3..5, then 0..2 (the plugin walks back).
	res, err := db.CommitHistory(bg, "wa", history("l", "c", 1, 3, 3, "before-3", false))
	must(t, err)
	if res.Replayed || !reflect.DeepEqual(res.Fresh, []bool{true, false, true}) || res.Keys[1] != 0 || res.Keys[0] == 0 {
		t.Fatalf("first batch: %+v; want c-4 a duplicate of the live event", res)
	}
	if c := res.Cursor; c.Cursor != "before-3" || c.Done || c.Stored != 2 || c.Seq != 1 {
		t.Errorf("cursor after the first batch: %+v", c)
	}
	// The second one repeats position 3 (dedup by ref) and 2 is new.
	b2 := history("l", "c", 2, 0, 4, "", true)
	res, err = db.CommitHistory(bg, "wa", b2)
	must(t, err)
	if !reflect.DeepEqual(res.Fresh, []bool{true, true, true, false}) {
		t.Errorf("second batch: fresh %v, want the repeated c-3 a duplicate", res.Fresh)
	}
	if c := res.Cursor; c.Cursor != "before-3" || !c.Done || c.Stored != 5 || c.Seq != 2 {
		t.Errorf("cursor after the done batch without a cursor: %+v; want the last cursor kept", c)
	}
	// A replay of it (seq 2 again, on a new stream) stores nothing, not
	// even its event without an ID.
	before := outboxPayloads(t, db, "wa")
	res, err = db.CommitHistory(bg, "wa", b2)
	must(t, err)
	if !res.Replayed || res.Fresh != nil || res.Cursor.Stored != 5 {
		t.Errorf("replayed batch: %+v", res)
	}
	if after := outboxPayloads(t, db, "wa"); !reflect.DeepEqual(after, before) {
		t.Errorf("a replay changed the outbox: %v, was %v", after, before)
	}
	// Live events are deduplicated against history.
	fresh, _, err = db.CommitEvents(bg, "wa", []InboundEvent{
		{LoginID: "l", ChatID: "c", DedupID: "c-0", DedupByRef: true, Ref: &MessageRef{RemoteID: "c-0"}, Payload: []byte("x")},
		{LoginID: "l", ChatID: "c", DedupID: "c-1", Payload: []byte("x")},
	})
	must(t, err)
	if fresh[0] || fresh[1] {
		t.Errorf("live repeats of history events: fresh %v, want duplicates", fresh)
	}
	want := map[string]int{"live c-4": 1, "c-0": 1, "c-1": 1, "c-2": 1, "c-3": 1, "c-5": 1}
	if got := outboxPayloads(t, db, "wa"); !reflect.DeepEqual(got, want) {
		t.Errorf("outbox %v, want %v", got, want)
	}
	if r, err := db.LookupXMPP("wa", "l", "c", "sc-3"); err != nil || string(r.Meta) != "mc-3" {
		t.Errorf("history ref c-3: %+v, %v", r, err)
	}

	// The plugin restarted: its seqs start over, and seq 1 is new.
	db.HistoryRestarted("wa")
	res, err = db.CommitHistory(bg, "wa", history("l", "c", 1, 6, 1, "before-6", false))
	must(t, err)
	if res.Replayed || res.Cursor.Stored != 6 || res.Cursor.Seq != 1 || res.Cursor.Cursor != "before-6" {
		t.Errorf("first batch of a new run: %+v", res)
	}
	res, err = db.CommitHistory(bg, "wa", history("l", "c", 1, 7, 1, "before-7", false))
	must(t, err)
	if !res.Replayed {
		t.Errorf("seq 1 twice in a run: %+v, want a replay", res)
	}

	check := func(where string) {
		t.Helper()
		c, err := db.GetCursor("wa", "l", "c")
		if err != nil || c.Cursor != "before-6" || c.Stored != 6 || c.Seq != 1 || c.Done || c.Updated.IsZero() {
			t.Errorf("%s: GetCursor = %+v, %v", where, c, err)
		}
	}
	check("in the log")
	must(t, db.Flush(bg))
	check("in bbolt")
	db = reopen(t, db)
	check("after reopen")
	// A new Open is a new run: seq 1 is not a replay.
	res, err = db.CommitHistory(bg, "wa", history("l", "c", 1, 7, 1, "before-7", false))
	must(t, err)
	if res.Replayed {
		t.Errorf("seq 1 after a reopen: %+v, want stored", res)
	}
	// A batch without events still moves the cursor.
	res, err = db.CommitHistory(bg, "wa", HistoryBatch{LoginID: "l", ChatID: "c", Seq: 2, Done: true})
	must(t, err)
	if res.Replayed || !res.Cursor.Done || res.Cursor.Cursor != "before-7" || res.Cursor.Stored != 7 || len(res.Fresh) != 0 {
		t.Errorf("empty done batch: %+v", res)
	}
}

func TestListCursorsAndDeleteLogin(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "h.db"), hotOnly)
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "a@x", LoginID: "la"}))
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "b@x", LoginID: "lb"}))
	for _, chat := range []string{"c2", "c1"} {
		_, err := db.CommitHistory(bg, "wa", history("la", chat, 0, 0, 2, "k-"+chat, false))
		must(t, err)
	}
	must(t, db.Flush(bg)) // c1 and c2 in bbolt, the rest in the log
	_, err := db.CommitHistory(bg, "wa", history("la", "c1", 0, 2, 1, "k2-c1", false))
	must(t, err)
	_, err = db.CommitHistory(bg, "wa", history("la", "c3", 0, 0, 1, "k-c3", false))
	must(t, err)
	_, err = db.CommitHistory(bg, "wa", history("lb", "c1", 0, 0, 1, "kb", false))
	must(t, err)
	_, err = db.CommitHistory(bg, "tg", history("la", "c9", 0, 0, 1, "kt", false))
	must(t, err)

	list := func(login string) string {
		t.Helper()
		cs, err := db.ListCursors("wa", login)
		must(t, err)
		var s []string
		for _, c := range cs {
			if c.Transport != "wa" || c.LoginID != login {
				t.Errorf("cursor of another login: %+v", c)
			}
			s = append(s, fmt.Sprintf("%s=%s/%d", c.ChatID, c.Cursor, c.Stored))
		}
		return strings.Join(s, " ")
	}
	if got, want := list("la"), "c1=k2-c1/3 c2=k-c2/2 c3=k-c3/1"; got != want {
		t.Errorf("ListCursors(la) = %q, want %q", got, want)
	}
	must(t, db.DeleteLogin(bg, "wa", "a@x"))
	if got := list("la"); got != "" {
		t.Errorf("ListCursors after DeleteLogin = %q, want none", got)
	}
	_, err = db.GetCursor("wa", "la", "c1")
	wantNotFound(t, "cursor of a deleted login", err)
	if got := list("lb"); got != "c1=kb/1" {
		t.Errorf("the other login's cursors: %q", got)
	}
	if c, err := db.GetCursor("tg", "la", "c9"); err != nil || c.Cursor != "kt" {
		t.Errorf("the other transport's cursor: %+v, %v", c, err)
	}
}

// TestCommitHistoryBadInput: bad input gets a clear error (ErrInvalid)
// and changes nothing; a bad event is rejected alone.
func TestCommitHistoryBadInput(t *testing.T) {
	db := openTemp(t)
	res, err := db.CommitHistory(bg, "wa", history("l", "c", 1, 0, 1, "k1", false))
	must(t, err)
	stored := res.Cursor
	before := outboxPayloads(t, db, "wa")
	long := strings.Repeat("x", MaxKeyPart+1)
	for name, b := range map[string]HistoryBatch{
		"empty chat":              history("l", "", 2, 10, 1, "k", false),
		"NUL in the chat":         history("l", "c\x00", 2, 10, 1, "k", false),
		"empty login":             history("", "c", 2, 10, 1, "k", false),
		"no cursor, not done":     history("l", "c", 2, 10, 1, "", false),
		"NUL in the cursor":       history("l", "c", 2, 10, 1, "k\x00", false),
		"cursor over MaxKeyPart":  history("l", "c", 2, 10, 1, long, false),
		"chat over MaxKeyPart":    history("l", long, 2, 10, 1, "k", false),
		"empty transport (below)": {},
	} {
		transport := "wa"
		if b.LoginID == "" && b.ChatID == "" {
			transport, b = "", history("l", "c", 2, 10, 1, "k", false)
		}
		if _, err := db.CommitHistory(bg, transport, b); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if c, err := db.GetCursor("wa", "l", "c"); err != nil || !reflect.DeepEqual(c, stored) {
		t.Errorf("cursor after refused batches: %+v, %v; want %+v", c, err, stored)
	}
	if after := outboxPayloads(t, db, "wa"); !reflect.DeepEqual(after, before) {
		t.Errorf("refused batches changed the outbox: %v, was %v", after, before)
	}
	for _, what := range []string{"empty chat", "NUL"} {
		var err error
		if what == "NUL" {
			_, err = db.GetCursor("wa", "l", "c\x00")
		} else {
			_, err = db.GetCursor("wa", "l", "")
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("GetCursor with %s: %v, want ErrInvalid", what, err)
		}
	}
	if _, err := db.ListCursors("wa", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("ListCursors of an empty login: %v, want ErrInvalid", err)
	}

	// Bad events: one of another chat, one with too much meta, one with a
	// NUL in its ID; the good one is stored and counted.
	rejected := db.RejectedEvents("wa")
	b := history("l", "c", 2, 20, 1, "k2", false)
	b.Events = append(b.Events,
		InboundEvent{ChatID: "elsewhere", DedupID: "x1", Payload: []byte("x1")},
		InboundEvent{DedupID: "x2", Payload: []byte("x2"), Ref: &MessageRef{RemoteID: "x2", Meta: make([]byte, MaxMeta+1)}},
		InboundEvent{DedupID: "x\x003", Payload: []byte("x3")},
	)
	res, err = db.CommitHistory(bg, "wa", b)
	must(t, err)
	if !reflect.DeepEqual(res.Fresh, []bool{true, false, false, false}) || res.Cursor.Stored != stored.Stored+1 || res.Cursor.Cursor != "k2" {
		t.Errorf("batch with bad events: %+v", res)
	}
	if n := db.RejectedEvents("wa") - rejected; n != 3 {
		t.Errorf("RejectedEvents grew by %d, want 3", n)
	}
	got := outboxPayloads(t, db, "wa")
	if got["c-20"] != 1 || got["x1"]+got["x2"]+got["x3"] != 0 {
		t.Errorf("outbox after a batch with bad events: %v", got)
	}
}

// TestHistoryGroupAllOrNothing: a history batch and its cursor are one
// log frame, so a crash that tears the log anywhere in it leaves all of
// the batch or none of it (before the group, a torn tail could keep the
// events and lose the cursor: resuming would fetch them again).
func TestHistoryGroupAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "g.db")
	db := openAt(t, path, hotOnly)
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "a@x", LoginID: "l"}))
	_, err := db.CommitHistory(bg, "wa", history("l", "c", 1, 0, 3, "k1", false))
	must(t, err)
	must(t, db.Flush(bg))
	gens, err := listWAL(path)
	must(t, err)
	if len(gens) != 1 {
		t.Fatalf("log files %v, want one", gens)
	}
	live := walPath(path, gens[0])
	_, err = db.CommitHistory(bg, "wa", history("l", "c", 2, 3, 5, "k2", false))
	must(t, err)
	// Copies taken while the store is open and idle: the file as a crash
	// would leave it, the log cut short at any length.
	dbBytes, err := os.ReadFile(path)
	must(t, err)
	logBytes, err := os.ReadFile(live)
	must(t, err)
	scan, err := scanFrames(logBytes)
	must(t, err)
	if len(scan.recs) < 8 {
		t.Fatalf("the log holds %d records, want the batch's", len(scan.recs))
	}
	for cut := 0; cut <= len(logBytes); cut += 1 + cut/7 {
		sub := filepath.Join(dir, fmt.Sprint("cut", cut))
		must(t, os.MkdirAll(sub, 0o700))
		p := filepath.Join(sub, "g.db")
		must(t, os.WriteFile(p, dbBytes, 0o600))
		must(t, os.WriteFile(walPath(p, gens[0]), logBytes[:cut], 0o600))
		c, err := Open(p)
		must(t, err)
		cur, err := c.GetCursor("wa", "l", "c")
		must(t, err)
		ob := outboxPayloads(t, c, "wa")
		all := cut == len(logBytes)
		want := map[string]int{"c-0": 1, "c-1": 1, "c-2": 1}
		wantCur := "k1"
		if all {
			for i := 3; i < 8; i++ {
				want[fmt.Sprint("c-", i)] = 1
			}
			wantCur = "k2"
		}
		if !reflect.DeepEqual(ob, want) || cur.Cursor != wantCur || cur.Stored != uint64(len(want)) {
			t.Errorf("log cut at %d of %d: cursor %q (%d stored), outbox %v", cut, len(logBytes), cur.Cursor, cur.Stored, ob)
		}
		must(t, c.Close())
	}
}

// TestGroupFrameDecoding: hostile group frames are damage, never a panic
// nor a record of another group; a newer kind inside one is refused like
// a newer kind outside.
func TestGroupFrameDecoding(t *testing.T) {
	at := time.Unix(1, 0)
	recs := []hotRec{
		{kind: recDedup, transport: "wa", login: "l", chat: "c", id: "d", at: at},
		{kind: recCursor, transport: "wa", login: "l", chat: "c", cur: &BackfillCursor{Cursor: "k", Stored: 1, Updated: at}},
	}
	frame := appendGroupFrame(nil, recs)
	got, size, ok, err := frameAt(frame)
	if !ok || err != nil || size != len(frame) || len(got) != 2 || got[1].cur.Cursor != "k" || got[0].id != "d" {
		t.Fatalf("frameAt(group) = %+v, %d, %v, %v", got, size, ok, err)
	}
	payload := frame[8:]
	for name, p := range map[string][]byte{
		"count too big":  {recGroup, 0xff, 0x01},
		"nested":         append([]byte{recGroup, 1, byte(len(payload))}, payload...),
		"trailing bytes": append(bytes.Clone(payload), 0),
		"empty sub":      {recGroup, 1, 0},
	} {
		if _, err := decodeHotRecs(p); err == nil || errors.Is(err, errNewerKind) {
			t.Errorf("%s: %v, want damage", name, err)
		}
	}
	if _, err := decodeHotRecs([]byte{recGroup, 1, 1, recMaxKind + 1}); !errors.Is(err, errNewerKind) {
		t.Errorf("newer kind in a group: %v, want errNewerKind", err)
	}
}

// TestOpensStoreWrittenBeforeV2: testdata/v1.db.gz and v1.db.wal.2 are a
// store and its log not yet applied, written by the code before contract
// v2 (commit 2b48a76): logins without a folder, refs without meta, and
// log records of the old shape. They open and read; new data goes beside.
func TestOpensStoreWrittenBeforeV2(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "v1.db")
	copyTestdataV1(t, path)

	db := openAt(t, path, Options{})
	read := func(where string) {
		t.Helper()
		l, err := db.GetLogin("wa", "alice@example.org")
		if err != nil || l.LoginID != "L1" || l.DisplayName != "Alice" || string(l.SavedState) != "state-1" || !l.SeesPresence {
			t.Errorf("%s: login %+v, %v", where, l, err)
		}
		if p, err := db.GetPuppet("wa", "L1", "bob"); err != nil || p.Name != "Bob" {
			t.Errorf("%s: puppet %+v, %v", where, p, err)
		}
		at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
		r, err := db.LookupXMPP("wa", "L1", "c1", "s-old")
		if want := (MessageRef{Transport: "wa", LoginID: "L1", ChatID: "c1", RemoteID: "r-old", OriginID: "o-old",
			StanzaID: "s-old", ID: "i-old", FromMe: true, Time: at}); err != nil || !reflect.DeepEqual(r, want) {
			t.Errorf("%s: ref in bbolt %+v, %v; want %+v", where, r, err, want)
		}
		for x, remote := range map[string]string{"o-wal": "r-wal", "x-wal": "e-wal"} {
			if r, err := db.LookupXMPP("wa", "L1", "c1", x); err != nil || r.RemoteID != remote || r.Meta != nil || !r.Time.Equal(at) {
				t.Errorf("%s: ref of the old log %s: %+v, %v", where, x, r, err)
			}
		}
		seen, err := db.Seen("wa", []InboundEvent{{LoginID: "L1", ChatID: "c1", DedupID: "e-old"}, {LoginID: "L1", ChatID: "c1", DedupID: "e-wal", DedupByRef: true}})
		if err != nil || !seen[0] || !seen[1] {
			t.Errorf("%s: dedup %v, %v", where, seen, err)
		}
		if got, err := db.GetTxn("wa", "L1", "t-old"); err != nil || got != "r-old" {
			t.Errorf("%s: txn %q, %v", where, got, err)
		}
		if ob := outboxPayloads(t, db, "wa"); ob["payload-old"] != 1 || ob["payload-wal"] != 1 {
			t.Errorf("%s: outbox %v", where, ob)
		}
	}
	read("opened")
	// v2 data beside the old.
	must(t, db.SetDataDir(bg, "wa", "alice@example.org", "k1"))
	must(t, db.PutMessages(bg, []MessageRef{{Transport: "wa", LoginID: "L1", ChatID: "c1", RemoteID: "r-new", Meta: []byte("m")}}))
	_, err := db.CommitHistory(bg, "wa", history("L1", "c1", 1, 0, 2, "k", false))
	must(t, err)
	db = reopen(t, db)
	read("reopened")
	if l, err := db.GetLogin("wa", "alice@example.org"); err != nil || l.DataDir != "k1" {
		t.Errorf("folder: %+v, %v", l, err)
	}
	if r, err := db.LookupRemote("wa", "L1", "c1", "r-new"); err != nil || string(r.Meta) != "m" {
		t.Errorf("new ref: %+v, %v", r, err)
	}
	if c, err := db.GetCursor("wa", "L1", "c1"); err != nil || c.Cursor != "k" || c.Stored != 2 {
		t.Errorf("cursor: %+v, %v", c, err)
	}
	must(t, db.Close())
	rep, err := Inspect(path, time.Second)
	if err != nil || rep.Damaged() {
		t.Fatalf("check-store: %v, problems %v", err, rep)
	}
	var text strings.Builder
	must(t, rep.WriteText(&text))
	if !strings.Contains(text.String(), "1 backfill cursor; outbox 4") {
		t.Errorf("check-store report:\n%s\nwant the cursor counted", text.String())
	}
}

// TestMessageMetaNotShared: the Meta a lookup returns is the caller's; a
// change to it reaches neither the log's index nor what a checkpoint
// writes.
func TestMessageMetaNotShared(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "m.db"), hotOnly)
	must(t, db.PutMessages(bg, []MessageRef{{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "r", Meta: []byte("meta")}}))
	r, err := db.LookupRemote("wa", "l", "c", "r")
	must(t, err)
	copy(r.Meta, "XXXX")
	for _, where := range []string{"in the log", "in bbolt"} {
		if r, err := db.LookupRemote("wa", "l", "c", "r"); err != nil || string(r.Meta) != "meta" {
			t.Errorf("%s after the caller changed its copy: %q, %v", where, r.Meta, err)
		}
		must(t, db.Flush(bg))
	}
}

// TestLoginDataDirBelongsToOneLogin: a folder already another user's
// login's on the transport is refused, and nothing changes.
func TestLoginDataDirBelongsToOneLogin(t *testing.T) {
	db := openTemp(t)
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "a@x", LoginID: "la", DataDir: "k1"}))
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "b@x", LoginID: "lb", DataDir: "k2"}))
	must(t, db.PutLogin(bg, Login{Transport: "tg", UserJID: "b@x", LoginID: "lb", DataDir: "k1"})) // another transport's folders
	if err := db.PutLogin(bg, Login{Transport: "wa", UserJID: "b@x", LoginID: "lb2", DataDir: "k1"}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "a@x") {
		t.Errorf("PutLogin into a@x's folder: %v, want ErrInvalid naming a@x", err)
	}
	if err := db.SetDataDir(bg, "wa", "b@x", "k1"); !errors.Is(err, ErrInvalid) {
		t.Errorf("SetDataDir into a@x's folder: %v, want ErrInvalid", err)
	}
	if l, err := db.GetLogin("wa", "b@x"); err != nil || l.LoginID != "lb" || l.DataDir != "k2" {
		t.Errorf("b@x after refused folders: %+v, %v", l, err)
	}
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "a@x", LoginID: "la", DataDir: "k1"})) // its own again
	must(t, db.DeleteLogin(bg, "wa", "a@x"))
	must(t, db.SetDataDir(bg, "wa", "b@x", "k1")) // free once a@x is gone
}

// A history event repeating a live message is a duplicate. The bridge
// commits a live message deduplicated by its map entry alone (no dedup
// key) and a history message by a dedup key, with the same remote ID:
// a chat's history fetched after its live messages (IRC's CHATHISTORY,
// WhatsApp's on-demand history) stored and delivered them again.
func TestHistoryRepeatsLiveMessage(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "h.db"), hotOnly)
	live := InboundEvent{LoginID: "l", ChatID: "c", DedupID: "m1", DedupByRef: true,
		Ref: &MessageRef{RemoteID: "m1", ID: "x1"}, Payload: []byte("live m1")}
	fresh, _, err := db.CommitEvents(bg, "irc", []InboundEvent{live})
	must(t, err)
	if !fresh[0] {
		t.Fatal("live event not fresh")
	}
	hist := func(ids ...string) HistoryBatch {
		b := HistoryBatch{LoginID: "l", ChatID: "c", Seq: 1, Cursor: "before-m0"}
		for _, id := range ids {
			b.Events = append(b.Events, InboundEvent{DedupID: id, Ref: &MessageRef{RemoteID: id, ID: "h" + id}, Payload: []byte("history " + id)})
		}
		return b
	}
	b := hist("m0", "m1")
	seen, err := db.Seen("irc", []InboundEvent{{LoginID: "l", ChatID: "c", DedupID: "m1", Ref: b.Events[1].Ref}})
	must(t, err)
	if !seen[0] {
		t.Error("Seen: the history copy of a live message not seen")
	}
	res, err := db.CommitHistory(bg, "irc", b)
	must(t, err)
	if !reflect.DeepEqual(res.Fresh, []bool{true, false}) {
		t.Errorf("history fresh %v, want the repeat of the live m1 a duplicate", res.Fresh)
	}
	if r, err := db.LookupRemote("irc", "l", "c", "m1"); err != nil || r.ID != "x1" {
		t.Errorf("m1's map entry %+v, %v: want the live one kept", r, err)
	}
	want := map[string]int{"live m1": 1, "history m0": 1}
	if got := outboxPayloads(t, db, "irc"); !reflect.DeepEqual(got, want) {
		t.Errorf("outbox %v, want %v", got, want)
	}
	// The same once the log is checkpointed into bbolt.
	must(t, db.Flush(bg))
	b = hist("m1")
	b.Seq = 2
	seen, err = db.Seen("irc", []InboundEvent{{LoginID: "l", ChatID: "c", DedupID: "m1", Ref: b.Events[0].Ref}})
	must(t, err)
	if !seen[0] {
		t.Error("Seen after a checkpoint: the history copy of a live message not seen")
	}
	res, err = db.CommitHistory(bg, "irc", b)
	must(t, err)
	if !reflect.DeepEqual(res.Fresh, []bool{false}) {
		t.Errorf("after a checkpoint: history fresh %v, want a duplicate", res.Fresh)
	}
}
