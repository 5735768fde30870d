package signal

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Restart pacing of the supervised daemon: the delay doubles from
// MinRestart after each quick death, up to MaxRestart, and starts over
// once the daemon ran StableAfter.
var (
	MinRestart  = 500 * time.Millisecond
	MaxRestart  = 30 * time.Second
	StableAfter = time.Minute
)

// daemon supervises `signal-cli daemon`: starts it once asked, restarts it
// when it dies, and remembers why it last failed.
type daemon struct {
	cfg     Config
	dataDir string
	socket  string
	log     *slog.Logger

	once sync.Once
	mu   sync.Mutex
	last string // why the daemon last stopped or could not start
	// cannot is set while the command cannot even be started (not
	// installed): waiting for the socket is then pointless.
	cannot bool
	exited int // how many times the daemon exited
}

func newDaemon(cfg Config, dataDir, socket string, log *slog.Logger) *daemon {
	return &daemon{cfg: cfg, dataDir: dataDir, socket: socket, log: log}
}

// args are signal-cli's arguments: multi-account mode (no -a), the
// socket, and manual receiving so that nothing is fetched from Signal's
// servers before a session subscribes.
func (d *daemon) args() []string {
	return []string{"--config", d.dataDir, "daemon", "--socket", d.socket, "--receive-mode", "manual", "--no-receive-stdout"}
}

// start runs the supervisor, once.
func (d *daemon) start() {
	d.once.Do(func() { go d.supervise() })
}

// problem is why the daemon is not there, for a login state message.
func (d *daemon) problem() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last == "" {
		return "signal-cli is starting"
	}
	return d.last
}

// failures is how many times the daemon exited, and whether the command
// cannot be started at all.
func (d *daemon) failures() (exited int, cannot bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.exited, d.cannot
}

func (d *daemon) setProblem(s string) {
	d.mu.Lock()
	d.last = s
	d.mu.Unlock()
}

// command is the signal-cli process to start, with JAVA_HOME when set.
func (d *daemon) command() *exec.Cmd {
	cmd := exec.Command(d.cfg.SignalCLI, d.args()...)
	cmd.Env = os.Environ()
	if d.cfg.JavaHome != "" {
		cmd.Env = append(cmd.Env, "JAVA_HOME="+d.cfg.JavaHome,
			"PATH="+filepath.Join(d.cfg.JavaHome, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	setDeathSignal(cmd)
	return cmd
}

// supervise starts the daemon and starts it again whenever it exits.
func (d *daemon) supervise() {
	delay := MinRestart
	for {
		os.Remove(d.socket) // a dead daemon's socket refuses the next one
		cmd := d.command()
		stderr, _ := cmd.StderrPipe()
		cmd.Stdout = io.Discard
		began := time.Now()
		if err := cmd.Start(); err != nil {
			d.mu.Lock()
			d.cannot = true
			d.mu.Unlock()
			d.setProblem(fmt.Sprintf("signal-cli (%s) cannot start: %v; install signal-cli and Java 21+, or set signal_cli and java_home in the transport's config", d.cfg.SignalCLI, err))
			d.log.Error("signal-cli cannot start", "cmd", d.cfg.SignalCLI, "err", err)
		} else {
			d.mu.Lock()
			d.cannot = false
			d.mu.Unlock()
			d.log.Info("signal-cli started", "pid", cmd.Process.Pid, "socket", d.socket)
			tail := d.logLines(stderr)
			err := cmd.Wait()
			msg := fmt.Sprintf("signal-cli exited (%v)", err)
			if t := tail(); t != "" {
				msg += ": " + t
			}
			d.setProblem(msg + "; restarting it")
			d.mu.Lock()
			d.exited++
			d.mu.Unlock()
			d.log.Warn("signal-cli exited", "err", err, "stderr", tail())
		}
		if time.Since(began) > StableAfter {
			delay = MinRestart
		}
		time.Sleep(delay)
		delay = min(delay*2, MaxRestart)
	}
}

// logLines copies the daemon's stderr to the log and returns a function
// giving its last line, once the stream ended.
func (d *daemon) logLines(r io.Reader) func() string {
	var mu sync.Mutex
	var last string
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			d.log.Debug("signal-cli", "line", line)
			mu.Lock()
			last = line
			mu.Unlock()
		}
	}()
	return func() string {
		select {
		case <-done:
		case <-time.After(time.Second):
		}
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}
