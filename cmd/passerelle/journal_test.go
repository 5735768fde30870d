//go:build unix

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// journalCommand is "passerelle run -c path" as systemd starts it: its
// stderr the journal stream JOURNAL_STREAM names, a file here.
func journalCommand(t *testing.T, path string) (*exec.Cmd, *os.File) {
	t.Helper()
	journal, err := os.Create(filepath.Join(t.TempDir(), "journal"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { journal.Close() })
	fi, err := journal.Stat()
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	cmd := exec.Command(os.Args[0], "run", "-c", path)
	cmd.Env = append(os.Environ(), "PASSERELLE_TEST_MAIN=1", fmt.Sprintf("JOURNAL_STREAM=%d:%d", st.Dev, st.Ino))
	cmd.Stderr = journal
	return cmd, journal
}

// journalLines reads the journal file's lines, checking that each
// starts with a priority and has no time of its own.
func journalLines(t *testing.T, journal *os.File) []string {
	t.Helper()
	data, err := os.ReadFile(journal.Name())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for _, l := range lines {
		if len(l) < 3 || l[0] != '<' || l[2] != '>' || strings.Contains(l, "time=") {
			t.Errorf("journal line %q lacks its priority or has a time of its own", l)
		}
	}
	return lines
}

// TestRunConfigErrorUnderJournald: a broken configuration's lines, the
// reason of exit 78, reach journald as errors ("<3>"); they were
// priority 6, which journalctl -p err hides.
func TestRunConfigErrorUnderJournald(t *testing.T) {
	cmd, journal := journalCommand(t, setup(t, broken))
	if err := cmd.Run(); cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != exitConfig {
		t.Fatalf("%v, want exit status %d", err, exitConfig)
	}
	lines := journalLines(t, journal)
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "<3>") || !strings.Contains(lines[0], "transport[0].secret: missing") {
		t.Errorf("journal:\n%s\nwant the two problems, each at error priority", strings.Join(lines, "\n"))
	}
}

// TestRunLogUnderJournald: a start's log lines reach journald with their
// priority and without a time of their own.
func TestRunLogUnderJournald(t *testing.T) {
	cmd, journal := journalCommand(t, setup(t, "\n[xmpp]\nserver = \""+closedAddr(t)+"\"\n"+valid))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if data, _ := os.ReadFile(journal.Name()); strings.Contains(string(data), `msg="transport plugin running"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the plugin did not start in 30 s")
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM: %v", err)
	}
	log := strings.Join(journalLines(t, journal), "\n")
	for _, want := range []string{"\n<6>level=INFO msg=\"passerelle starting\"", "\n<4>level=WARN msg=\"component link down\"", "\n<6>level=INFO msg=\"passerelle stopped\""} {
		if !strings.Contains("\n"+log, want) {
			t.Errorf("journal lacks a line starting %q:\n%s", want[1:], log)
		}
	}
}
