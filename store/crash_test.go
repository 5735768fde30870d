package store

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The crash harness: a child process (this test binary, run again with
// crashChildEnv set) writes to a store in a loop and prints each write
// once the store acknowledged it; the parent kills it with SIGKILL at a
// random moment, over and over on the same files, so kills land in
// commits, log writes, checkpoints and the replay of the previous
// crash's log at start. Every child first opens what the last one left.
// In the end the parent damages the log files the way a crash does (a
// zero-filled tail, a torn record), opens the store and checks that every
// acknowledged write is there.

const (
	crashChildEnv = "PASSERELLE_STORE_CRASH_CHILD" // the store's path
	crashIterEnv  = "PASSERELLE_STORE_CRASH_ITER"  // the child's number, for unique IDs
)

// TestCrashChild is the child's body; without crashChildEnv it does
// nothing.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("the crash harness's child process (see TestCrashHarness)")
	}
	iter := os.Getenv(crashIterEnv)
	fail := func(err error) {
		fmt.Printf("error %v\n", err)
		os.Exit(3)
	}
	// Small checkpoints, often: kills land in them as often as in commits.
	db, err := OpenOptions(path, Options{CheckpointRecords: 24, CheckpointInterval: 3 * time.Millisecond})
	if err != nil {
		fail(err)
	}
	fmt.Println("open")
	// History resumes where the stored cursor says, as the bridge will: a
	// batch lost or stored twice shows as a position missing or doubled.
	pos := 0
	if c, err := db.GetCursor("wa", "l", "h"); err == nil {
		if pos, err = strconv.Atoi(c.Cursor); err != nil {
			fail(err)
		}
	} else if !errors.Is(err, ErrNotFound) {
		fail(err)
	}
	for i := 0; ; i++ {
		id := fmt.Sprintf("%s-%d", iter, i)
		// A batch of events: one deduplicated by its ref, one by a key.
		evs := []InboundEvent{
			{Seq: uint64(i), LoginID: "l", ChatID: "c", DedupID: "a" + id, Payload: []byte("a" + id),
				Ref: &MessageRef{RemoteID: "a" + id, ID: "x" + id}, DedupByRef: true},
			{Seq: uint64(i), LoginID: "l", ChatID: "c", DedupID: "b" + id, Payload: []byte("b" + id)},
		}
		_, keys, err := db.CommitEvents(bg, "wa", evs)
		if err != nil {
			fail(err)
		}
		fmt.Printf("ev a%s %d\nev b%s %d\n", id, keys[0], id, keys[1])
		if err := db.OutboxDone(bg, "wa", keys[:1]); err != nil {
			fail(err)
		}
		fmt.Printf("done %d\n", keys[0])
		if err := db.PutSent(bg, MessageRef{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "s" + id, OriginID: "o" + id, FromMe: true}, "o"+id); err != nil {
			fail(err)
		}
		fmt.Printf("sent %s\n", id)
		pos++
		hid := fmt.Sprint("hp-", pos)
		res, err := db.CommitHistory(bg, "wa", HistoryBatch{LoginID: "l", ChatID: "h", Seq: uint64(i + 1), Cursor: strconv.Itoa(pos),
			Events: []InboundEvent{
				{DedupID: hid, Payload: []byte(hid + "-a"), DedupByRef: true, Ref: &MessageRef{RemoteID: hid, Meta: []byte("meta\x00" + hid)}},
				{Payload: []byte(hid + "-b")}, // never deduplicated
			}})
		if err != nil {
			fail(err)
		}
		if res.Replayed || !res.Fresh[0] || !res.Fresh[1] {
			fail(fmt.Errorf("history batch %d: %+v", pos, res))
		}
		fmt.Printf("hist %d\n", pos)
		if i%5 == 0 {
			if err := db.PutPuppets(bg, []Puppet{{Transport: "wa", LoginID: "l", UserID: "u" + id, Name: id}}); err != nil {
				fail(err)
			}
			fmt.Printf("puppet %s\n", id)
			if err := db.SetSavedState(bg, "wa", "a@x", []byte(id)); err != nil {
				fail(err)
			}
			fmt.Printf("state %s\n", id)
		}
	}
}

// crashAcks is what the children acknowledged.
type crashAcks struct {
	events  map[string]uint64 // event ID -> outbox key
	done    map[uint64]bool
	sent    []string
	puppets []string
	states  map[string]bool // saved states acknowledged
	hist    int             // the last history position acknowledged
}

// stateOrder orders the child's IDs "<child>-<i>"; 0 for anything else.
func stateOrder(id string) uint64 {
	a, b, ok := strings.Cut(id, "-")
	x, err1 := strconv.ParseUint(a, 10, 32)
	y, err2 := strconv.ParseUint(b, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return 0
	}
	return x<<32 | y
}

// TestCrashHarness: see the comment at the top of the file.
func TestCrashHarness(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("in the child")
	}
	budget := 20 * time.Second
	if testing.Short() {
		budget = 3 * time.Second
	}
	path := filepath.Join(t.TempDir(), "p.db")
	db := openAt(t, path, Options{})
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "a@x", LoginID: "l"}))
	must(t, db.Close())

	acks := crashAcks{events: map[string]uint64{}, done: map[uint64]bool{}, states: map[string]bool{}}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 15))
	start := time.Now()
	iters, lines := 0, 0
	for ; time.Since(start) < budget || iters < 3; iters++ {
		lines += runCrashChild(t, path, iters, time.Duration(20+rng.IntN(280))*time.Millisecond, &acks)
	}
	if len(acks.events) == 0 {
		t.Fatal("no child acknowledged a write")
	}

	// What a crash can do to the files themselves: a zero-filled tail on
	// the newest log, a torn record on the oldest.
	gens, err := listWAL(path)
	must(t, err)
	if len(gens) > 0 {
		newest := walPath(path, gens[len(gens)-1])
		appendFile(t, newest, make([]byte, 1+rng.IntN(8192)))
		torn := appendFrame(nil, &hotRec{kind: recTxn, transport: "wa", login: "l", id: "torn", remote: "r", at: time.Now()})
		appendFile(t, walPath(path, gens[0]), torn[:len(torn)-1-rng.IntN(len(torn)-1)])
	}
	db, err = Open(path)
	if err != nil {
		t.Fatalf("Open after %d kills: %v", iters, err)
	}
	t.Cleanup(func() { db.Close() })
	checkCrashAcks(t, db, &acks)
	checkCrashHistory(t, db, &acks)
	t.Logf("%d children killed; %d acknowledged writes checked (%d events, %d history batches, %d log files left by the last kill)",
		iters, lines, len(acks.events), acks.hist, len(gens))
}

func appendFile(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	must(t, err)
	_, err = f.Write(b)
	must(t, err)
	must(t, f.Close())
}

// runCrashChild runs one child, kills it after d (counted from its
// "open": a store that cannot open is a failure, not a kill point) and
// records what it acknowledged; it returns how many acknowledgements.
func runCrashChild(t *testing.T, path string, iter int, d time.Duration, acks *crashAcks) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path, crashIterEnv+"="+strconv.Itoa(iter))
	out, err := cmd.StdoutPipe()
	must(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	must(t, cmd.Start())
	opened := make(chan struct{})
	var got []string
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "open" {
				close(opened)
				continue
			}
			got = append(got, sc.Text())
		}
	}()
	select {
	case <-opened:
		time.Sleep(d)
		_ = cmd.Process.Signal(syscall.SIGKILL)
	case <-readDone:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-readDone
		t.Fatalf("child %d did not open the store in 30 s; stderr:\n%s", iter, stderr.String())
	}
	<-readDone
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("child %d ended by itself (%v): %q; stderr:\n%s", iter, err, got, stderr.String())
	}
	for _, line := range got {
		f := strings.Fields(line)
		switch f[0] {
		case "ev":
			k, _ := strconv.ParseUint(f[2], 10, 64)
			acks.events[f[1]] = k
		case "done":
			k, _ := strconv.ParseUint(f[1], 10, 64)
			acks.done[k] = true
		case "sent":
			acks.sent = append(acks.sent, f[1])
		case "puppet":
			acks.puppets = append(acks.puppets, f[1])
		case "state":
			acks.states[f[1]] = true
		case "hist":
			n, _ := strconv.Atoi(f[1])
			acks.hist = max(acks.hist, n)
		default:
			t.Fatalf("child %d: %q", iter, line)
		}
	}
	return len(got)
}

// checkCrashAcks checks that every acknowledged write is in db.
func checkCrashAcks(t *testing.T, db *DB, acks *crashAcks) {
	t.Helper()
	ob, err := db.Outbox("wa")
	must(t, err)
	inOutbox := map[uint64]string{}
	for _, e := range ob {
		inOutbox[e.Key] = string(e.Payload)
	}
	var lost []string
	for id, key := range acks.events {
		seen, err := db.Seen("wa", []InboundEvent{{LoginID: "l", ChatID: "c", DedupID: id, DedupByRef: id[0] == 'a'}})
		must(t, err)
		if !seen[0] {
			lost = append(lost, "dedup of "+id)
		}
		if id[0] == 'a' {
			if r, err := db.LookupXMPP("wa", "l", "c", "x"+id[1:]); err != nil || r.RemoteID != id {
				lost = append(lost, fmt.Sprintf("ref of %s (%v)", id, err))
			}
		}
		// "a" events are marked done right after their commit: the removal
		// may have landed without its acknowledgement. "b" events never are.
		switch p, ok := inOutbox[key]; {
		case acks.done[key] && ok:
			lost = append(lost, fmt.Sprintf("removal of outbox entry %d (%s)", key, id))
		case ok && p != id:
			lost = append(lost, fmt.Sprintf("outbox entry %d: %q, want %s", key, p, id))
		case !ok && id[0] == 'b':
			lost = append(lost, fmt.Sprintf("outbox entry %d (%s)", key, id))
		}
	}
	for _, id := range acks.sent {
		if got, err := db.GetTxn("wa", "l", "o"+id); err != nil || got != "s"+id {
			lost = append(lost, fmt.Sprintf("txn o%s: %q, %v", id, got, err))
		}
	}
	for _, id := range acks.puppets {
		if _, err := db.GetPuppet("wa", "l", "u"+id); err != nil {
			lost = append(lost, fmt.Sprintf("puppet u%s: %v", id, err))
		}
	}
	if len(acks.states) > 0 {
		// The last acknowledged state, or a later one not yet acknowledged.
		var last uint64
		for st := range acks.states {
			last = max(last, stateOrder(st))
		}
		l, err := db.GetLogin("wa", "a@x")
		must(t, err)
		if stateOrder(string(l.SavedState)) < last {
			lost = append(lost, fmt.Sprintf("saved state %q is older than the last acknowledged one", l.SavedState))
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d acknowledged writes lost, first: %s", len(lost), strings.Join(lost[:min(10, len(lost))], "; "))
	}
}

// checkCrashHistory checks that the history batches went in whole, each
// once, none skipped: the stored cursor is at or past the last
// acknowledged position, and every position up to it has its two events
// (one of them never deduplicated) and its ref once.
func checkCrashHistory(t *testing.T, db *DB, acks *crashAcks) {
	t.Helper()
	c, err := db.GetCursor("wa", "l", "h")
	must(t, err)
	last, err := strconv.Atoi(c.Cursor)
	must(t, err)
	if last < acks.hist {
		t.Errorf("history cursor at %d, before the last acknowledged batch %d", last, acks.hist)
	}
	ob, err := db.Outbox("wa")
	must(t, err)
	n := map[string]int{}
	for _, e := range ob {
		if strings.HasPrefix(string(e.Payload), "hp-") {
			n[string(e.Payload)]++
		}
	}
	var bad []string
	for p := 1; p <= last; p++ {
		for _, part := range []string{"a", "b"} {
			if k := fmt.Sprintf("hp-%d-%s", p, part); n[k] != 1 {
				bad = append(bad, fmt.Sprintf("%s stored %d times", k, n[k]))
			}
		}
		hid := fmt.Sprint("hp-", p)
		if r, err := db.LookupRemote("wa", "l", "h", hid); err != nil || string(r.Meta) != "meta\x00"+hid {
			bad = append(bad, fmt.Sprintf("ref %s: %q, %v", hid, r.Meta, err))
		}
	}
	if len(n) != 2*last {
		bad = append(bad, fmt.Sprintf("%d history events in the outbox, want %d (positions past the cursor?)", len(n), 2*last))
	}
	if c.Stored != uint64(2*last) {
		bad = append(bad, fmt.Sprintf("cursor counts %d stored events, want %d", c.Stored, 2*last))
	}
	if len(bad) > 0 {
		t.Errorf("history after the crashes: %d problems, first: %s", len(bad), strings.Join(bad[:min(10, len(bad))], "; "))
	}
}
