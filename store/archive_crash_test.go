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
