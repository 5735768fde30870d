//go:build linux

package prosodytest_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/prosodytest"
)

// holderEnv makes the test binary a stand-in test run (TestServerDiesWithTestRun):
// it starts a Prosody in the folder the variable names, says so and waits
// to be killed.
const holderEnv = "PROSODYTEST_HOLDER_DIR"

// TestServerDiesWithTestRun: a test run that dies under its Prosody
// takes it with it, whether it is killed (a crash, go test's kill at a
// timeout, CI's) or the terminal's Ctrl-C reaches its process group. The
// server runs in a process group of its own (testserver.SysProcAttr), so
// that Ctrl-C does not reach it: the parent-death signal alone ends it.
func TestServerDiesWithTestRun(t *testing.T) {
	if dir := os.Getenv(holderEnv); dir != "" {
		prosodytest.Start(t, prosodytest.Options{Dir: dir})
		fmt.Println("serving")
		select {}
	}
	for _, tc := range []struct {
		name string
		kill func(holder *os.Process) error
	}{
		{"SIGKILL", func(p *os.Process) error { return p.Kill() }},
		{"Ctrl-C to its group", func(p *os.Process) error { return syscall.Kill(-p.Pid, syscall.SIGINT) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			// Its own timeout ends it should this test die first.
			cmd := exec.Command(os.Args[0], "-test.run=^TestServerDiesWithTestRun$", "-test.timeout=2m")
			cmd.Env = append(os.Environ(), holderEnv+"="+dir)
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
			if strings.TrimSpace(line) != "serving" {
				t.Fatalf("the holder said %q (%v)", line, err)
			}
			b, err := os.ReadFile(filepath.Join(dir, "prosody.pid"))
			if err != nil {
				t.Fatal(err)
			}
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatalf("prosody.pid holds %q", b)
			}
			t.Cleanup(func() {
				// Only the Prosody it was: its pid may be another's since.
				if alive(pid, dir) {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			})
			if !alive(pid, dir) {
				t.Fatalf("prosody %d is not running", pid)
			}
			if err := tc.kill(cmd.Process); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			// The kernel sends the signal as the holder exits; the
			// deadline bounds a failure only.
			deadline := time.Now().Add(10 * time.Second)
			for alive(pid, dir) {
				if time.Now().After(deadline) {
					t.Fatalf("prosody %d still runs after the test run that started it died (%s)", pid, cmd.ProcessState)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// alive reports whether pid runs a Prosody of dir (a zombie, which no
// init reaped, does not; nor a process that took its pid since).
func alive(pid int, dir string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err != nil || !strings.Contains(string(cmdline), dir) {
		return false
	}
	// The state follows the command name in parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
