package testserver

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

const pollInterval = 20 * time.Millisecond

// ErrPortTaken marks a start that failed because a port was in use.
var ErrPortTaken = errors.New("port in use")

// Server is what the start-up and stop logic needs to know of one server.
type Server struct {
	// Who starts every error, e.g. "prosodytest: prosody".
	Who string
	// Log is the server's log file, appended to by every run.
	Log string
	// FatalLines are log messages that fail a start: the server is not
	// what the test asked for, although it may run.
	FatalLines []string
	// PortLine, one of FatalLines, says a port is taken: the start's
	// error then wraps ErrPortTaken.
	PortLine string
	// StartTimeout bounds WaitReady; StopTimeout each wait of Stop and
	// Kill.
	StartTimeout, StopTimeout time.Duration
}

// Run is one server process.
type Run struct {
	Cmd     *exec.Cmd
	logFrom int64         // size of the log when the run started
	exited  chan struct{} // closed once Cmd has been waited for
	err     error         // Cmd.Wait's result, readable once exited is closed
}

// Exited is closed once the process has exited and been waited for.
func (r *Run) Exited() <-chan struct{} { return r.exited }

// Start starts cmd, which dies with the test process (SysProcAttr). The
// error is cmd.Start's.
func (sv *Server) Start(cmd *exec.Cmd) (*Run, error) {
	cmd.SysProcAttr = SysProcAttr()
	// Wait must not hang on a pipe a grandchild may have inherited.
	cmd.WaitDelay = sv.StopTimeout
	r := &Run{Cmd: cmd, logFrom: fileSize(sv.Log), exited: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the OS thread that started the server
		// exits, and the runtime ends a thread whose goroutine returns
		// while locked to it (the gateway's background checkpoints do,
		// in-process in tests): the server died at random, in silence.
		// Start and wait on a thread of our own, locked until the server
		// has exited.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		r.err = cmd.Wait()
		close(r.exited)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return r, nil
}

// WaitReady polls until the server answers a client stream for domain on
// c2s and accepts connections on every address of others, it exits, it
// logs one of FatalLines, or StartTimeout passes.
func (sv *Server) WaitReady(r *Run, c2s, domain string, others []string) error {
	deadline := time.Now().Add(sv.StartTimeout)
	probeWait := 100 * time.Millisecond
	for {
		select {
		case <-r.exited:
			// A server may log why before it exits (ejabberd halts on a
			// configuration error or a taken port).
			if err := sv.fatalLogLine(r); err != nil {
				return err
			}
			if r.err == nil {
				return fmt.Errorf("%s exited with status 0 during start-up", sv.Who)
			}
			return fmt.Errorf("%s exited during start-up: %w", sv.Who, r.err)
		default:
		}
		if err := sv.fatalLogLine(r); err != nil {
			return err
		}
		// A reply on c2s proves the server's main loop runs, so start-up
		// (every host and module) has finished: listening alone may happen
		// before that. The reply wait starts short, so that a stranger
		// holding the port (who accepts and stays silent) does not delay
		// reading the log that says so, and grows in case the machine is
		// just slow.
		err := probeC2S(c2s, domain, probeWait)
		if err != nil && probeWait < 2*time.Second {
			probeWait *= 2
		}
		for _, a := range others {
			if err != nil {
				break
			}
			var c net.Conn
			if c, err = net.DialTimeout("tcp", a, time.Second); err == nil {
				c.Close()
			}
		}
		if err == nil {
			// Modules load before the server serves: their errors are logged by now.
			return sv.fatalLogLine(r)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not serving within %v: %w", sv.Who, sv.StartTimeout, err)
		}
		select {
		case <-r.exited:
		case <-time.After(pollInterval):
		}
	}
}

// fatalLogLine returns the first of FatalLines logged since r started.
func (sv *Server) fatalLogLine(r *Run) error {
	f, err := os.Open(sv.Log)
	if err != nil {
		return nil // not written yet
	}
	defer f.Close()
	if _, err := f.Seek(r.logFrom, io.SeekStart); err != nil {
		return nil
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for _, p := range sv.FatalLines {
			if strings.Contains(line, p) {
				err := fmt.Errorf("%s: %s", sv.Who, strings.TrimSpace(line))
				if p == sv.PortLine {
					err = fmt.Errorf("%w (%w)", err, ErrPortTaken)
				}
				return err
			}
		}
	}
	return nil
}

// probeC2S opens a client stream and waits for any reply.
func probeC2S(addr, domain string, wait time.Duration) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(wait)); err != nil {
		return err
	}
	_, err = fmt.Fprintf(c, "<?xml version='1.0'?><stream:stream to='%s' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>", domain)
	if err != nil {
		return err
	}
	buf := make([]byte, 512)
	n, err := c.Read(buf)
	if n > 0 && bytes.Contains(buf[:n], []byte("stream")) {
		_, _ = io.WriteString(c, "</stream:stream>")
		return nil
	}
	if err == nil {
		err = errors.New("unexpected reply")
	}
	return err
}

// Stop sends SIGTERM and waits; after StopTimeout it kills the process
// and reports that it had to.
func (sv *Server) Stop(r *Run) error {
	_ = r.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
		return nil
	case <-time.After(sv.StopTimeout):
	}
	if err := sv.Kill(r); err != nil {
		return err
	}
	return fmt.Errorf("%s ignored SIGTERM for %v and was killed", sv.Who, sv.StopTimeout)
}

// Kill sends SIGKILL and waits for the process to exit.
func (sv *Server) Kill(r *Run) error {
	_ = r.Cmd.Process.Kill()
	select {
	case <-r.exited:
		return nil
	case <-time.After(sv.StopTimeout):
		return fmt.Errorf("%s (pid %d) survived SIGKILL", sv.Who, r.Cmd.Process.Pid)
	}
}

// fileSize is the length of the file at path, 0 if there is none.
func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// LogTail returns the end of the log at path and of a run's output, for
// failure messages.
func LogTail(path string, output *TailBuffer) string {
	const max = 32 << 10
	var b strings.Builder
	if data, err := os.ReadFile(path); err == nil {
		if len(data) > max {
			data = data[len(data)-max:]
		}
		b.Write(data)
	}
	if output != nil {
		if e := output.String(); e != "" {
			b.WriteString("--- output ---\n")
			b.WriteString(e)
		}
	}
	return b.String()
}

// TailBuffer keeps the last max bytes written to it.
type TailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

// NewTailBuffer returns a TailBuffer that keeps max bytes.
func NewTailBuffer(max int) *TailBuffer { return &TailBuffer{max: max} }

func (t *TailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// String returns what the buffer holds.
func (t *TailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
