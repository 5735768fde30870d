package store

import (
	"bufio"
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

const archCrashEnv = "PASSERELLE_ARCHIVE_CRASH_CHILD" // the store's path, iteration

// archCrashBatch is how many messages each append of the crash child
// carries: after a crash a batch is there whole or not at all.
const archCrashBatch = 3

// TestArchiveCrashChild appends batches to a room archive in a loop and
// prints each acknowledged batch's stanza-ids, until it is killed; see
// TestArchiveCrash. Without archCrashEnv it does nothing.
func TestArchiveCrashChild(t *testing.T) {
	env := os.Getenv(archCrashEnv)
	if env == "" {
		t.Skip("the archive crash test's child process (see TestArchiveCrash)")
	}
	path, iter, _ := strings.Cut(env, ",")
	db, err := OpenOptions(path, Options{CheckpointRecords: 16, CheckpointInterval: 2 * time.Millisecond})
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(3)
	}
	fmt.Println("open")
	for n := 0; ; n++ {
		var msgs []ArchivedMessage
		for k := range archCrashBatch {
			m := archMsg(n*archCrashBatch+k, time.Now())
			m.RemoteID = fmt.Sprintf("%s-%d-%d", iter, n, k)
			msgs = append(msgs, m)
		}
		res, err := db.AppendArchive(bg, testRoom, msgs)
		if err != nil {
			fmt.Printf("error %v\n", err)
			os.Exit(3)
		}
		line := fmt.Sprintf("ok %s-%d", iter, n)
		for _, r := range res {
			line += " " + r.StanzaID
		}
		fmt.Println(line)
	}
}

// TestArchiveCrash kills a process appending to a room archive at random
// moments, over and over on the same files, then checks that every
// acknowledged append is there with the stanza-ids it was given, that
// every batch is there whole or not at all, that no stanza-id was handed
// out twice, and that the room's count matches its messages.
func TestArchiveCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	acked := map[string][]string{} // batch -> stanza-ids
	for iter := range 6 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestArchiveCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), archCrashEnv+"="+path+","+strconv.Itoa(iter))
		out, err := cmd.StdoutPipe()
		must(t, err)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		must(t, cmd.Start())
		opened := make(chan struct{})
		done := make(chan struct{})
		var lines []string
		go func() {
			defer close(done)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if sc.Text() == "open" {
					close(opened)
					continue
				}
				lines = append(lines, sc.Text())
			}
		}()
		select {
		case <-opened:
			time.Sleep(time.Duration(50+rand.IntN(200)) * time.Millisecond)
		case <-done:
		case <-time.After(30 * time.Second):
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
		_ = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("child %d ended by itself: %q; stderr:\n%s", iter, lines, stderr.String())
		}
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) != 2+archCrashBatch || f[0] != "ok" {
				t.Fatalf("child %d: %q", iter, l)
			}
			acked[f[1]] = f[2:]
		}
	}
	if len(acked) == 0 {
		t.Fatal("no append acknowledged")
	}
	db := openAt(t, path, Options{})
	var all []ArchivedMessage
	q := ArchiveQuery{Max: MaxArchivePage}
	for {
		p, err := db.QueryArchive(bg, testRoom, q)
		must(t, err)
		all = append(all, p.Messages...)
		if p.Complete {
			break
		}
		q.After = p.Last
	}
	ids := map[string]bool{}
	batches := map[string]int{}
	byRemote := map[string]string{}
	for _, m := range all {
		if ids[m.StanzaID] {
			t.Errorf("stanza-id %s twice", m.StanzaID)
		}
		ids[m.StanzaID] = true
		byRemote[m.RemoteID] = m.StanzaID
		batches[m.RemoteID[:strings.LastIndexByte(m.RemoteID, '-')]]++
	}
	for b, n := range batches {
		if n != archCrashBatch {
			t.Errorf("batch %s: %d of its %d messages after the crashes", b, n, archCrashBatch)
		}
	}
	for b, want := range acked {
		for k, id := range want {
			if got := byRemote[fmt.Sprintf("%s-%d", b, k)]; got != id {
				t.Errorf("acknowledged message %s-%d: stanza-id %q, acknowledged as %q", b, k, got, id)
			}
		}
	}
	p, err := db.QueryArchive(bg, testRoom, ArchiveQuery{})
	must(t, err)
	if p.Count != len(all) {
		t.Errorf("count %d, %d messages", p.Count, len(all))
	}
	t.Logf("%d batches acknowledged, %d messages after the crashes", len(acked), len(all))
}

// replayedLate is message 2, arrived an hour after its time.
func replayedLate() ArchivedMessage {
	m := archMsg(2, archBase)
	m.Arrived = m.Time.Add(time.Hour)
	return m
}

// TestArchiveReplaysLog: appends a process acknowledged and then died
// with (os.Exit, no Close: only in the log) are replayed at the next Open
// with every field (a late one's arrival too) and their stanza-ids, and the room's ids go on after
// them.
func TestArchiveReplaysLog(t *testing.T) {
	if p := os.Getenv("PASSERELLE_ARCHIVE_REPLAY"); p != "" {
		db, err := OpenOptions(p, hotOnly)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		res, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{archMsg(1, archBase), replayedLate()})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		fmt.Println(res[0].StanzaID, res[1].StanzaID)
		os.Exit(0)
	}
	path := filepath.Join(t.TempDir(), "r.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestArchiveReplaysLog$")
	cmd.Env = append(os.Environ(), "PASSERELLE_ARCHIVE_REPLAY="+path)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	ids := strings.Fields(string(out))
	if len(ids) != 2 {
		t.Fatalf("child printed %q", out)
	}
	if gens, err := listWAL(path); err != nil || len(gens) != 1 {
		t.Fatalf("log files after the crash: %v, %v", gens, err)
	}
	db := openAt(t, path, Options{})
	for i, id := range ids {
		m, err := db.LookupArchived(bg, testRoom, id)
		want := archMsg(i+1, archBase)
		want.Arrived = want.Time
		if i == 1 {
			want = replayedLate()
		}
		want.StanzaID = id
		if err != nil || m.StanzaID != id || !m.Time.Equal(want.Time) || !m.Arrived.Equal(want.Arrived) || m.Nick != want.Nick || m.SenderJID != want.SenderJID ||
			m.RemoteID != want.RemoteID || string(m.Payload) != string(want.Payload) {
			t.Errorf("replayed %s: %+v, %v; want %+v", id, m, err, want)
		}
	}
	res, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{archMsg(3, archBase), archMsg(1, archBase)})
	must(t, err)
	e0, s0, _ := parseStanzaID(ids[1])
	e1, s1, _ := parseStanzaID(res[0].StanzaID)
	// An unclean stop: the counter skips (TestArchiveIDsAfterPowerCut).
	if e1 != e0 || s1 != s0+1+lostAppendsGap || !res[1].Duplicate || res[1].StanzaID != ids[0] {
		t.Errorf("after replay: %+v, last id before %s", res, ids[1])
	}
}
