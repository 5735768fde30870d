//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/syncbuf"
)

// binDir holds the demo, passerelle and the echo plugin, built once, as
// make build does (static: the build cache serves both).
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "passerelle-demo-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	cmd := exec.Command("go", "build", "-o", dir+"/", "passerelle.im/passerelle/cmd/passerelle-demo",
		"passerelle.im/passerelle/cmd/passerelle", "passerelle.im/passerelle/cmd/passerelle-echo")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the demo: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// demoRun is the demo binary running, its output read line by line.
type demoRun struct {
	t     *testing.T
	cmd   *exec.Cmd
	dir   string
	out   io.ReadCloser
	lines *bufio.Scanner
	// seen and stderr are safe to read while written: a test that fails
	// before the demo exited logs them while its output is still copied.
	seen syncbuf.Buffer
	done chan error
	// stderr is the demo's, to read once it exited.
	stderr *syncbuf.Buffer
}

func startDemo(t *testing.T, args ...string) *demoRun {
	t.Helper()
	return startDemoWith(t, nil, args...)
}

// startDemoWith starts the demo as startDemo does, with prepare applied to
// its command first (nil: none).
func startDemoWith(t *testing.T, prepare func(*exec.Cmd), args ...string) *demoRun {
	t.Helper()
	d := &demoRun{t: t, dir: filepath.Join(t.TempDir(), "demo"), done: make(chan error, 1)}
	d.cmd = exec.Command(filepath.Join(binDir, "passerelle-demo"), append([]string{"-dir", d.dir}, args...)...)
	if prepare != nil {
		prepare(d.cmd)
	}
	var err error
	if d.out, err = d.cmd.StdoutPipe(); err != nil {
		t.Fatal(err)
	}
	var stderr syncbuf.Buffer
	d.cmd.Stderr, d.stderr = &stderr, &stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d.lines = bufio.NewScanner(d.out)
	t.Cleanup(func() {
		d.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("demo output:\n%s\nstderr:\n%s", d.seen.String(), stderr.String())
			if log, err := os.ReadFile(filepath.Join(d.dir, "passerelle.log")); err == nil {
				t.Logf("passerelle log:\n%s", log)
			}
		}
	})
	return d
}

// waitLine reads the output until a line holds s.
func (d *demoRun) waitLine(s string) {
	d.t.Helper()
	found := make(chan bool, 1)
	go func() {
		for d.lines.Scan() {
			d.seen.Write([]byte(d.lines.Text() + "\n"))
			if strings.Contains(d.lines.Text(), s) {
				found <- true
				return
			}
		}
		found <- false
	}()
	select {
	case ok := <-found:
		if !ok {
			d.t.Fatalf("the demo's output ended before %q", s)
		}
	case <-time.After(60 * time.Second):
		d.t.Fatalf("the demo never printed %q", s)
	}
}

// wait waits for the demo to exit, reading what is left of its output
// unless the output was closed, and returns its exit status.
func (d *demoRun) wait(readRest bool) int {
	d.t.Helper()
	copied := make(chan struct{})
	if readRest {
		go func() {
			io.Copy(&d.seen, d.out)
			close(copied)
		}()
	} else {
		close(copied)
	}
	go func() {
		<-copied // Wait closes the pipe: read it all first
		d.done <- d.cmd.Wait()
	}()
	select {
	case err := <-d.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws := ee.Sys().(syscall.WaitStatus); ws.Signaled() {
				d.t.Fatalf("the demo was killed by %v", ws.Signal())
			}
			return ee.ExitCode()
		}
		if err != nil {
			d.t.Fatal(err)
		}
		return 0
	case <-time.After(90 * time.Second):
		// A login's answer waits up to 30 s for its connection, after
		// a Connect of up to 30 s.
		d.t.Fatal("the demo did not exit within 90 s")
	}
	return -1
}

// failsWith waits for the demo to exit with status 1, its error holding
// each of wants in words, not a command's XML, which buried them, and
// nothing of the stack left running.
func (d *demoRun) failsWith(wants ...string) {
	d.t.Helper()
	if code := d.wait(true); code != 1 {
		d.t.Errorf("exit status %d, want 1", code)
	}
	for _, want := range wants {
		if !strings.Contains(d.stderr.String(), want) {
			d.t.Errorf("the demo's error lacks %q:\n%s", want, d.stderr.String())
		}
	}
	if strings.Contains(d.stderr.String(), "<iq") {
		d.t.Errorf("the demo's error dumps the command's XML:\n%s", d.stderr.String())
	}
	d.noLeftovers()
}

// leftovers lists the live processes started from the test's binaries or
// with the demo's folder on their command line: Prosody, passerelle and
// the echo plugin, once the demo is gone.
func (d *demoRun) leftovers() []string {
	var left []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !(bytes.Contains(cmdline, []byte(binDir)) || bytes.Contains(cmdline, []byte(d.dir))) {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && len(stat) > i+2 && stat[i+2] == 'Z' {
			continue // exited, not reaped yet
		}
		left = append(left, e.Name()+": "+strings.ReplaceAll(string(cmdline), "\x00", " "))
	}
	return left
}

// noLeftovers waits for the children to be gone: 20 s, as a loaded CI
// machine (2 cores, every package's tests at once) may take seconds to
// end a plugin the gateway stopped; gone, it returns at once.
func (d *demoRun) noLeftovers() {
	d.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		left := d.leftovers()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, l := range left {
				syscall.Kill(atoiPrefix(l), syscall.SIGKILL)
			}
			d.t.Fatalf("processes left behind by the demo:\n%s", strings.Join(left, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func atoiPrefix(s string) int {
	n, _ := strconv.Atoi(s[:strings.IndexByte(s, ':')])
	return n
}

// TestSignalsStopCleanly: Ctrl-C, SIGTERM and SIGHUP stop the running
// demo with status 0 and leave no Prosody, passerelle or plugin process
// behind. (A hangup killed the demo and left the gateway and its plugin.)
func TestSignalsStopCleanly(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			d := startDemo(t)
			d.waitLine("Press Ctrl-C to stop.")
			if left := d.leftovers(); len(left) < 3 {
				t.Fatalf("the stack is not all running: %v", left)
			}
			if err := d.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if code := d.wait(true); code != 0 {
				t.Errorf("exit status %d after %v, want 0", code, sig)
			}
			d.noLeftovers()
			if !strings.Contains(d.seen.String(), "stopped ("+sig.String()+")") {
				t.Errorf("the demo did not say it stopped:\n%s", d.seen.String())
			}
		})
	}
}

// TestClosedOutputStopsCleanly: when the reader of the demo's output goes
// away (a pipe to head or tee that ended), the next write fails with
// EPIPE and the demo stops cleanly. (SIGPIPE killed it and left the
// gateway and its plugin.)
func TestClosedOutputStopsCleanly(t *testing.T) {
	d := startDemo(t)
	d.waitLine("starting Prosody")
	d.out.Close()
	if code := d.wait(false); code != 0 {
		t.Errorf("exit status %d after the output closed, want 0", code)
	}
	d.noLeftovers()
}

// TestOnceSaysWhatHappened: the -once run registers the demo user and
// says so; it exits 0 with nothing left running.
func TestOnceSaysWhatHappened(t *testing.T) {
	d := startDemo(t, "-once")
	d.waitLine(`registering it with echo.localhost as the echo user "demo"`)
	d.waitLine("<- friend@echo.localhost")
	if code := d.wait(true); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	d.noLeftovers()
}
