package signal

import (
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/signal/rpc"
)

// mountSmall mounts a tmpfs of size at a new folder (root only).
func mountSmall(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small filesystem needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fillUp writes a file into dir until its filesystem is full, and
// returns a func that removes it.
func fillUp(t *testing.T, dir string) (free func()) {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	return func() {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
	}
}

// A line of handled.jsonl written part way on a full disk is cut back:
// the envelope handled next, once there is room, is read back at the
// next start. Before, it was appended onto the cut line and both were
// lost until the file was next rewritten.
func TestHandledAfterAFullDisk(t *testing.T) {
	dir := mountSmall(t, "16k")
	log := slog.New(slog.DiscardHandler)
	var d strayDedup
	d.load(dir, log)
	d.keep(handledKey{key: "before"})
	free := fillUp(t, dir)
	d.keep(handledKey{key: strings.Repeat("x", 8000)}) // part of it fits in the file's page
	free()
	d.keep(handledKey{key: "after"})

	var back strayDedup
	back.load(dir, log)
	for _, key := range []string{"before", "after"} {
		if !back.seenKey(key) {
			t.Errorf("the envelope %q handled is not read back after the restart (before: %q was lost)", key, "after")
		}
	}
}

// Likewise for the inbox: envelopes received after a write cut short
// by a full disk are read back at the next start. Before, the first of
// them was appended onto the cut line and lost.
func TestInboxAfterAFullDisk(t *testing.T) {
	dir := mountSmall(t, "16k")
	log := slog.New(slog.DiscardHandler)
	note := func(text string) []rpc.Note {
		p, _ := json.Marshal(map[string]string{"text": text})
		return []rpc.Note{{Method: "receive", Params: p}}
	}
	in := loadInbox(dir, log)
	in.received(note("before"), false)
	free := fillUp(t, dir)
	in.received(note(strings.Repeat("x", 8000)), false) // part of it fits in the file's page
	free()
	in.received(note("after"), false)

	var got []string
	for _, n := range loadInbox(dir, log).backlog() {
		var p map[string]string
		if err := json.Unmarshal(n.Params, &p); err != nil {
			t.Fatal(err)
		}
		got = append(got, p["text"])
	}
	if len(got) < 2 || got[0] != "before" || got[len(got)-1] != "after" {
		t.Fatalf("read back %.40q, want the envelopes before and after the full disk (before: the one after was lost)", got)
	}
}

// appendOnly sets or clears the append-only attribute of path (chattr),
// which makes cutting a write back (and replacing the file) fail.
func appendOnly(t *testing.T, path string, on bool) {
	t.Helper()
	flag := "-a"
	if on {
		flag = "+a"
	}
	if out, err := exec.Command("chattr", flag, path).CombinedOutput(); err != nil {
		t.Skipf("cannot chattr %s: %v %s", flag, err, out)
	}
}

// A line cut by a full disk that cannot be cut back (here the file is
// append-only meanwhile) is not appended onto: the file is rewritten
// whole before the next line, for handled.jsonl and the inbox alike.
func TestCutLineRewrittenWhenNotCutBack(t *testing.T) {
	dir := mountSmall(t, "64k") // room for the rewrite once the filler is gone
	log := slog.New(slog.DiscardHandler)
	var d strayDedup
	d.load(dir, log)
	d.keep(handledKey{key: "before"})
	path := filepath.Join(dir, dedupFileName)
	free := fillUp(t, dir)
	appendOnly(t, path, true)
	d.keep(handledKey{key: strings.Repeat("x", 8000)})
	appendOnly(t, path, false)
	free()
	d.keep(handledKey{key: "after"})
	var back strayDedup
	back.load(dir, log)
	if !back.seenKey("before") || !back.seenKey("after") {
		t.Errorf("handled.jsonl: the envelopes before and after the cut line are not both read back")
	}

	in := loadInbox(dir, log)
	note := func(text string) []rpc.Note {
		p, _ := json.Marshal(map[string]string{"text": text})
		return []rpc.Note{{Method: "receive", Params: p}}
	}
	in.received(note("before"), false)
	path = filepath.Join(dir, inboxFile)
	free = fillUp(t, dir)
	appendOnly(t, path, true)
	in.received(note(strings.Repeat("x", 8000)), false)
	appendOnly(t, path, false)
	free()
	in.received(note("after"), false)
	var got []string
	for _, n := range loadInbox(dir, log).backlog() {
		var p map[string]string
		if err := json.Unmarshal(n.Params, &p); err != nil {
			t.Fatal(err)
		}
		got = append(got, p["text"][:min(len(p["text"]), 10)])
	}
	if len(got) < 2 || got[0] != "before" || got[len(got)-1] != "after" {
		t.Errorf("inbox: read back %q, want the envelopes before and after the cut line", got)
	}
}
