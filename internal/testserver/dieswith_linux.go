//go:build linux

package testserver

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// holderEnv makes a test binary the stand-in test run of
// CheckDiesWithTestRun: it starts the server and waits to be killed.
const holderEnv = "TESTSERVER_HOLDER"

// CheckDiesWithTestRun checks that a server dies with the test run that
// started it, whether that run is killed (a crash, go test's kill at a
// timeout, CI's) or the terminal's Ctrl-C reaches its process group. A
// server in a process group of its own (SysProcAttr) does not get that
// Ctrl-C: the parent-death signal alone ends it.
//
// Call it from a top-level test, which it runs again as the stand-in
// (the same test binary, that test alone): there start starts the
// server, with its files under the stand-in's TMPDIR (t.TempDir does),
// and returns its pid.
func CheckDiesWithTestRun(t *testing.T, start func(t *testing.T) int) {
	t.Helper()
	if os.Getenv(holderEnv) != "" {
		fmt.Println("pid", start(t))
		select {}
	}
	test := t.Name()
	for _, tc := range []struct {
		name string
		kill func(holder *os.Process) error
	}{
		{"SIGKILL", func(p *os.Process) error { return p.Kill() }},
		{"Ctrl-C to its group", func(p *os.Process) error { return syscall.Kill(-p.Pid, syscall.SIGINT) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			// Its own timeout ends the stand-in should this test die
			// first; its temporary files are dir's.
			cmd := exec.Command(os.Args[0], "-test.run=^"+regexp.QuoteMeta(test)+"$", "-test.timeout=2m")
			cmd.Env = append(os.Environ(), holderEnv+"=1", "TMPDIR="+dir)
			// As a shell runs a foreground job: a group of its own.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			line, err := bufio.NewReader(out).ReadString('\n')
			pid, perr := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(line), "pid "))
			if perr != nil {
				t.Fatalf("the stand-in test run said %q (%v)", line, err)
			}
			t.Cleanup(func() {
				// Only the server it was: its pid may be another's since.
				if serving(pid, dir) {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			})
			if !serving(pid, dir) {
				t.Fatalf("server %d is not running", pid)
			}
			if err := tc.kill(cmd.Process); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			// The kernel sends the signal as the stand-in exits; the
			// deadline bounds a failure only.
			deadline := time.Now().Add(30 * time.Second)
			for serving(pid, dir) {
				if time.Now().After(deadline) {
					t.Fatalf("server %d still runs after the test run that started it died (%s)", pid, cmd.ProcessState)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// serving reports whether pid runs a server whose command line names dir
// (a zombie, which no init reaped, does not; nor a process that took the
// pid since).
func serving(pid int, dir string) bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(cmdline), dir) {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
