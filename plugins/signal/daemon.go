package signal

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
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

// A signal-cli Signal's servers refuse as too old is started again only
// once its file changed (checked every UpdateCheck: updated in place, or
// its link pointed at another), or after TooOldRetry: each start asks
// Signal's servers, which refuse it the same.
var (
	UpdateCheck = 2 * time.Second
	TooOldRetry = time.Hour
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
	// changed is closed, and replaced, when last changes
	// (problemChanged).
	changed chan struct{}
	// cannot is set while the command cannot even be started (not
	// installed): waiting for the socket is then pointless.
	cannot bool
	exited int // how many times the daemon exited
	exit   lastExit
	// locked is set while the running daemon waits for its data
	// folder's lock, which another signal-cli holds (noteLine).
	locked bool
	// tooOld is set when the running daemon said Signal's servers
	// refuse its version (noteLine).
	tooOld bool
	// cmd is the daemon running (nil between runs); stopped says Stop
	// was called: no restart follows, and done is closed once the
	// supervisor returned.
	cmd     *exec.Cmd
	began   time.Time // when cmd started
	hung    bool      // cmd was killed for not answering (restartHung)
	stopped bool
	stopCh  chan struct{} // closed by stop
	done    chan struct{}
}

func newDaemon(cfg Config, dataDir, socket string, log *slog.Logger) *daemon {
	return &daemon{cfg: cfg, dataDir: dataDir, socket: socket, log: log, changed: make(chan struct{}), stopCh: make(chan struct{}), done: make(chan struct{})}
}

// args are signal-cli's arguments: multi-account mode (no -a), the
// socket, manual receiving so that nothing is fetched from Signal's
// servers before a session subscribes, and no stories: the plugin shows
// none (stories.go), and without the flag signal-cli downloads each
// story's file into its attachments folder, which only the weekly sweep
// removes (media.go). Signal's server then sends signal-cli no story at
// all (signal-cli 0.11.4 and later); replies and reactions to stories
// are data messages, which still come.
func (d *daemon) args() []string {
	return []string{"--config", d.dataDir, "daemon", "--socket", d.socket, "--receive-mode", "manual", "--no-receive-stdout", "--ignore-stories"}
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

// lastExit is the daemon's last exit not asked for (restart.go).
type lastExit struct {
	why string // signal-cli exited (its status): its last line
	at  time.Time
}

// lastExited is how many times the daemon exited, and the last of them.
func (d *daemon) lastExited() (int, lastExit) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.exited, d.exit
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
	close(d.changed)
	d.changed = make(chan struct{})
	d.mu.Unlock()
}

// problemChanged is closed at the next change of problem.
func (d *daemon) problemChanged() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.changed
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

// stop ends the daemon, if it runs, with SIGTERM (signal-cli then closes
// its accounts' databases) and waits until it exited, or ctx ends (then
// SIGKILL); it is not started again.
func (d *daemon) stop(ctx context.Context) {
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return
	}
	d.stopped = true
	close(d.stopCh)
	cmd := d.cmd
	d.mu.Unlock()
	d.start() // a supervisor that never ran returns at once
	if cmd != nil && cmd.Process != nil {
		cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-d.done:
	case <-ctx.Done():
		if cmd != nil && cmd.Process != nil {
			cmd.Process.Kill()
		}
		<-d.done
	}
}

// supervise starts the daemon and starts it again whenever it exits,
// until stop.
func (d *daemon) supervise() {
	defer close(d.done)
	delay := MinRestart
	for {
		d.mu.Lock()
		stopped := d.stopped
		d.mu.Unlock()
		if stopped {
			return
		}
		os.Remove(d.socket) // a dead daemon's socket refuses the next one
		cmd := d.command()
		// A writer, not StderrPipe: Wait then returns once all the
		// daemon wrote was read, where StderrPipe's reader may lose what
		// the pipe still held at the exit, the last line (why it died)
		// first. WaitDelay bounds the wait for a child of its own that
		// would keep the pipe open.
		stderr := &lineLog{log: d.log, note: d.noteLine}
		cmd.Stderr = stderr
		cmd.WaitDelay = 2 * time.Second
		cmd.Stdout = io.Discard
		began := time.Now()
		d.mu.Lock()
		err := cmd.Start()
		if err == nil {
			d.cmd, d.began, d.hung, d.tooOld = cmd, began, false, false
		}
		d.mu.Unlock()
		if err != nil {
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
			err := cmd.Wait()
			last := stderr.tail() // its last line read (noteLine) before tooOld is
			d.mu.Lock()
			d.cmd, d.locked = nil, false
			stopped, hung, tooOld := d.stopped, d.hung, d.tooOld
			d.mu.Unlock()
			if stopped {
				d.log.Info("signal-cli stopped", "err", err)
				os.Remove(d.socket)
				return
			}
			msg := fmt.Sprintf("signal-cli exited (%v)", err)
			if hung {
				msg = "signal-cli stopped answering and was killed"
			}
			if last != "" {
				msg += ": " + last
			}
			if tooOld {
				// Permanent until the admin updates it: told so, and
				// not started again in a loop.
				d.setProblem(fmt.Sprintf("Signal's servers refuse signal-cli (%s) as too old: the admin must update signal-cli (https://github.com/AsamK/signal-cli/releases); it starts again once its file changes", d.cfg.SignalCLI))
				d.mu.Lock()
				d.exited++
				d.exit = lastExit{why: "Signal's servers refuse it as too old; the admin updated it", at: time.Now()}
				d.mu.Unlock()
				d.log.Error("signal-cli is too old for Signal's servers: update it; waiting for its file to change", "cmd", d.cfg.SignalCLI, "stderr", last)
				d.waitUpdate()
				delay = MinRestart
				continue
			}
			d.setProblem(msg + "; restarting it")
			d.mu.Lock()
			d.exited++
			d.exit = lastExit{why: msg, at: time.Now()}
			d.mu.Unlock()
			d.log.Warn("signal-cli exited", "err", err, "stderr", last)
		}
		if time.Since(began) > StableAfter {
			delay = MinRestart
		}
		d.sleep(delay)
		delay = min(delay*2, MaxRestart)
	}
}

// tooOldLine is signal-cli's word, at its start, when Signal's servers
// refuse its version (SignalAccountFiles, DeprecatedVersionException):
// the daemon then exits, its last line only "Failed to load local
// accounts file".
const tooOldLine = "version is too old for the Signal-Server"

// Lines of signal-cli's log about its data folder's lock (SignalAccount's
// openFileChannel): another signal-cli (a second daemon, a command run
// by hand with the same data folder) holds an account's file, and this
// one waits, without its socket, until that one ends.
const (
	lockWaitLine = "is in use by another instance"
	lockGotLine  = "Config file lock acquired"
)

// noteLine reads a line of the daemon's log for what the logins must be
// told while the daemon runs: a wait for its data folder's lock says
// nothing else (no exit, no socket), so the logins said only "signal-cli
// is starting", for as long as the other signal-cli ran.
func (d *daemon) noteLine(s string) {
	switch {
	case strings.Contains(s, tooOldLine):
		d.mu.Lock()
		d.tooOld = true
		d.mu.Unlock()
	case strings.Contains(s, lockWaitLine):
		d.mu.Lock()
		d.locked = true
		d.mu.Unlock()
		d.setProblem(fmt.Sprintf("signal-cli's data folder (%s) is in use by another signal-cli (a second signal-cli daemon, or a signal-cli command run by hand with the same data folder), and signal-cli waits until it ends (%q): the admin must stop that other signal-cli", d.dataDir, s))
		d.log.Warn("signal-cli waits for its data folder, which another signal-cli holds: stop that one", "data_dir", d.dataDir, "line", s)
	case strings.Contains(s, lockGotLine):
		d.mu.Lock()
		was := d.locked
		d.locked = false
		d.mu.Unlock()
		if was {
			d.setProblem("")
			d.log.Info("signal-cli has its data folder again; starting")
		}
	}
}

// waitsForLock reports whether the running daemon waits for another
// signal-cli to free its data folder.
func (d *daemon) waitsForLock() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.locked
}

// restartHung kills the daemon, which the supervisor then starts again,
// when it started before asked: a session asked it then and got no
// answer (liveness.go). One started since is another, not killed for
// the same silence by each session.
func (d *daemon) restartHung(asked time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd == nil || d.cmd.Process == nil || d.stopped || d.hung || d.began.After(asked) {
		return
	}
	d.hung = true
	d.log.Warn("signal-cli does not answer; killing it to start it again", "pid", d.cmd.Process.Pid)
	d.cmd.Process.Kill()
}

// waitUpdate waits until signal-cli's file changes (its path, as a
// link resolves, its size or time), TooOldRetry passed, or stop.
func (d *daemon) waitUpdate() {
	was := d.cliStamp()
	deadline := time.Now().Add(TooOldRetry)
	for time.Now().Before(deadline) {
		d.sleep(UpdateCheck)
		d.mu.Lock()
		stopped := d.stopped
		d.mu.Unlock()
		if stopped || d.cliStamp() != was {
			return
		}
	}
}

// cliStamp names signal-cli's file as it is now ("" when not found).
func (d *daemon) cliStamp() string {
	path, err := exec.LookPath(d.cfg.SignalCLI)
	if err != nil {
		return ""
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s %d %d", path, fi.Size(), fi.ModTime().UnixNano())
}

// sleep waits delay before a restart; a stop ends the wait.
func (d *daemon) sleep(delay time.Duration) {
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-d.stopCh:
	}
}

// lineLog copies the daemon's stderr to the log, line by line, and keeps
// its last line; note, when set, reads each line too.
type lineLog struct {
	log  *slog.Logger
	note func(string)

	mu      sync.Mutex
	partial []byte // a line not ended yet
	last    string
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.line(string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
	if len(l.partial) > 64<<10 {
		// A line without end: logged in pieces rather than kept whole.
		l.line(string(l.partial))
		l.partial = nil
	}
	return len(p), nil
}

// line logs one line; called with mu held.
func (l *lineLog) line(s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	l.log.Debug("signal-cli", "line", s)
	l.last = s
	if l.note != nil {
		l.note(s)
	}
}

// tail is the last line written, a last one without its newline too.
func (l *lineLog) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) > 0 {
		l.line(string(l.partial))
		l.partial = nil
	}
	return l.last
}
