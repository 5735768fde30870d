// Command passerelle-demo brings up the whole stack on loopback: a Prosody
// with a generated config, passerelle with the echo transport, and a demo
// user who registers with the gateway and exchanges one message. It then
// leaves everything running, with the credentials for any XMPP client,
// until Ctrl-C, SIGTERM, SIGHUP or its output closes; it always takes the
// whole stack down before it exits. With -plugin it runs a plugin
// author's own transport instead (plugin.go).
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/internal/prosodytest"
	"passerelle.im/passerelle/internal/xmpptest"
)

const echoDomain = "echo.localhost"

func main() {
	dir := flag.String("dir", "demo", "work folder for Prosody's and passerelle's config, data and logs; emptied at each run, so one the demo did not make must be empty")
	once := flag.Bool("once", false, "exit after the first message instead of waiting for Ctrl-C")
	var own ownPlugin
	own.flags(flag.CommandLine)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: passerelle-demo [-dir DIR] [-once] [-plugin PATH [-name NAME] | -config FILE] [-login FIELD=VALUE,... [-login ...]] [-flow ID] [-contact ID]\n\nRuns Prosody, passerelle and the echo transport (or the plugin -plugin names, or the [[transport]] of -config's file) on loopback and exchanges one message.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		// "passerelle-demo mydir" would otherwise run in ./demo, saying
		// nothing of the folder it was given.
		fmt.Fprintf(flag.CommandLine.Output(), "passerelle-demo: unexpected argument %q (a work folder is given with -dir DIR)\n", flag.Arg(0))
		flag.Usage()
		os.Exit(2)
	}
	if err := emptyFlag(flag.CommandLine); err != nil {
		fmt.Fprintf(flag.CommandLine.Output(), "passerelle-demo: %v\n", err)
		flag.Usage()
		os.Exit(2)
	}
	if err := own.check(); err != nil {
		fmt.Fprintf(flag.CommandLine.Output(), "passerelle-demo: %v\n", err)
		if !errors.As(err, new(fileError)) {
			flag.Usage()
		}
		os.Exit(2)
	}
	os.Exit(demo(*dir, *once, own))
}

// errStdoutClosed stops the demo when nobody reads its output any more
// (a pipe to head or tee that ended).
var errStdoutClosed = errors.New("standard output closed")

// stopSignal is a signal that asked the demo to stop.
type stopSignal struct{ os.Signal }

func (s stopSignal) Error() string { return "stopped by " + s.String() }

// demo runs the stack until it is done or asked to stop, and always takes
// it down before it returns the exit status: 0 when done or stopped by a
// signal or a closed output, 1 on an error.
func demo(dir string, once bool, own ownPlugin) int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	// Ctrl-C, kill and a closed terminal stop the demo cleanly; so does a
	// closed output: with SIGPIPE caught, a write to it fails with EPIPE
	// (instead of killing the demo and leaving its children behind) and
	// the console below stops the demo.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	defer signal.Stop(sigs)
	go func() {
		for sig := range sigs {
			if sig != syscall.SIGPIPE {
				cancel(stopSignal{sig})
			}
		}
	}()
	out := &console{w: os.Stdout, stop: cancel}
	err := run(ctx, out, dir, once, own)
	var sig stopSignal
	switch cause := context.Cause(ctx); {
	case errors.As(cause, &sig):
		out.printf("\nstopped (%s)\n", sig.String())
		return 0
	case errors.Is(cause, errStdoutClosed):
		return 0
	case err != nil:
		fmt.Fprintln(os.Stderr, "passerelle-demo:", err)
		return 1
	}
	return 0
}

// console prints the demo's progress; when its output is closed it stops
// the demo, once, and prints nothing more.
type console struct {
	w      io.Writer
	stop   context.CancelCauseFunc
	closed atomic.Bool
}

func (c *console) printf(format string, a ...any) {
	if c.closed.Load() {
		return
	}
	if _, err := fmt.Fprintf(c.w, format, a...); err != nil {
		c.closed.Store(true)
		c.stop(errStdoutClosed)
	}
}

func (c *console) step(s string) { c.printf("==> %s\n", s) }

// modPrivilegeInstalled reports whether Prosody has mod_privilege
// (prosody-modules, which scripts/install-deps.sh installs): with it, the
// gateway writes the contacts into the user's roster, without asking.
func modPrivilegeInstalled() bool {
	for _, f := range []string{"/usr/lib/prosody/modules/mod_privilege/mod_privilege.lua", "/usr/lib/prosody/modules/mod_privilege.lua"} {
		if _, err := os.Stat(f); err == nil {
			return true
		}
	}
	return false
}

func run(ctx context.Context, out *console, dir string, once bool, own ownPlugin) error {
	if err := prosodytest.Installed(); err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			return fmt.Errorf("the demo needs Prosody, which is not installed (no %s in PATH): make demo installs it, as does sudo scripts/install-deps.sh --demo (Debian: apt-get install prosody prosody-modules)", ee.Name)
		}
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	bin := filepath.Dir(self)
	if err := binariesBeside(bin, own.path == ""); err != nil {
		return err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return err
	}
	lock, err := freshDir(dir)
	if err != nil {
		return err
	}
	defer lock.Close()
	domain, plugin := echoDomain, filepath.Join(bin, "passerelle-echo")
	if own.path != "" {
		domain, plugin = own.domain(), own.path
	}
	secret := rand.Text()
	privileged := modPrivilegeInstalled()

	if privileged {
		// mod_privilege also grants pubsub set: the group is published to
		// the user's XEP-0402 bookmarks, so clients join it by themselves.
		out.step("starting Prosody (with mod_privilege: the gateway may write the demo user's roster and bookmarks)")
	} else {
		out.step("starting Prosody (no mod_privilege: install prosody-modules to skip the contacts' authorisation requests)")
	}
	srv, err := prosodytest.New(prosodytest.Options{
		Dir:        filepath.Join(dir, "prosody"),
		Components: []prosodytest.Component{{Domain: domain, Secret: secret, Privileged: privileged}},
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.Start(); err != nil {
		return err
	}
	password := strings.ToLower(rand.Text()[:12])
	if err := srv.Register("demo", password); err != nil {
		return fmt.Errorf("create the demo user: %w", err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}

	if own.file != nil {
		out.step("starting passerelle with the transport " + own.name + " of " + own.config + " (" + own.path + ") as " + domain)
	} else if own.path != "" {
		out.step("starting passerelle with the transport " + own.path + " as " + domain)
	} else {
		out.step("starting passerelle with the echo transport")
	}
	cfgPath := filepath.Join(dir, "passerelle.toml")
	transport := fmt.Sprintf(`[[transport]]
name = %q
domain = %q
secret = %q
plugin = %q
`, strings.TrimSuffix(domain, ".localhost"), domain, secret, plugin)
	if own.file != nil {
		// The file's [[transport]], [transport.config] and all.
		if transport, err = own.file.toml(domain, secret, plugin); err != nil {
			return err
		}
	}
	cfg := fmt.Sprintf(generated+`
[xmpp]
server = %q

[store]
path = "data/passerelle.db"

[access]
allow = ["localhost"]
admins = ["demo@localhost"]

%s`, srv.ComponentAddr(), transport)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	if own.file != nil {
		// A [transport.config] the plugin refuses leaves the gateway up
		// without the transport, retrying, and the demo waiting on it:
		// check-config starts the plugin once with it and says why.
		if err := checkConfig(filepath.Join(bin, "passerelle"), cfgPath, own.config); err != nil {
			return err
		}
	}
	logPath := filepath.Join(dir, "passerelle.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	gw := exec.Command(filepath.Join(bin, "passerelle"), "run", "-c", cfgPath)
	gw.Stdout, gw.Stderr = logFile, logFile
	ownGroup(gw)
	if err := gw.Start(); err != nil {
		return fmt.Errorf("start passerelle (build it with make build): %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- gw.Wait() }()
	defer func() {
		gw.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			gw.Process.Kill()
			<-exited
		}
	}()

	const user = "demo@localhost"
	if own.path != "" {
		out.step("logging in " + user)
	} else {
		out.step("logging in " + user + " and registering it with " + echoDomain + " as the echo user \"demo\"")
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := xmpptest.Dial(dctx, srv.C2SAddr(), jid.MustParse(user+"/demo"), password)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SendPresence(dctx); err != nil {
		return err
	}
	if err := waitGateway(dctx, c, domain, exited, logPath); err != nil {
		return err
	}
	if own.path != "" {
		return own.run(ctx, dctx, out, c, once, srv.C2SAddr(), user, password, exited, logPath, cfgPath)
	}
	st, err := c.IQ(dctx, `<iq type='set' to='`+echoDomain+`'><query xmlns='jabber:iq:register'><username>demo</username></query></iq>`)
	if err != nil || st.Type != "result" {
		return fmt.Errorf("registration with the gateway failed: %v %s", err, st.XML)
	}

	if err := exchange(dctx, out, c, "friend@"+echoDomain, logPath); err != nil {
		return err
	}
	if once {
		return nil
	}
	c.Close()

	contacts := "Its contacts echo-1, echo-2 and echo-3 are already in its roster,\nin the group Echo; the gateway will ask once to see your presence.\nThe group echo-room is in its bookmarks (XEP-0402), to join automatically."
	if !privileged {
		contacts = "Its contacts echo-1, echo-2 and echo-3, and the gateway, will ask you\nto authorise them (without mod_privilege the gateway cannot write the\nroster itself), and the gateway invites you to the group echo-room."
	}
	out.printf(`
The stack is running. Connect an XMPP client that can log in without TLS
(Profanity, Gajim; not Dino, which refuses a plain connection):

  server    127.0.0.1, port %s (plain connection on loopback, no TLS)
  account   %s
  password  %s

%s
%s is already registered with the gateway %s.
%s
Write to anything@%s: every contact echoes what you send.
Each chat first fills with 30 old messages ("history 1 of 30"...): the
network's history, which the gateway backfills.
Join the group echo-room@%s ("Echo room") as a group chat: echo-1
repeats what you say there and echo-2 reacts 👍; say "topic TEXT",
"join N", "part N" or "backlog N" there to see the group change.

  gateway log  %s
  config       %s

Press Ctrl-C to stop.
`, portOf(srv.C2SAddr()), user, password, clientHint(portOf(srv.C2SAddr()), user), user, echoDomain, contacts, echoDomain, echoDomain, logPath, cfgPath)
	return waitStop(ctx, out, exited, logPath)
}

// binariesBeside says which of the binaries the demo runs from its own
// folder bin (passerelle, and passerelle-echo when echo is set) are not
// there, before anything starts: go run ./cmd/passerelle-demo builds the
// demo alone, in a temporary folder, and the gateway's start failed
// after Prosody's, naming that folder.
func binariesBeside(bin string, echo bool) error {
	want := []string{"passerelle"}
	if echo {
		want = append(want, "passerelle-echo")
	}
	var missing []string
	for _, name := range want {
		if fi, err := os.Stat(filepath.Join(bin, name)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%s not beside passerelle-demo (in %s), which runs them from its own folder: run make demo, or make build then bin/passerelle-demo (go run builds the demo alone)", strings.Join(missing, " and "), bin)
}

// exchange sends a message to the JID to and prints it, then waits for
// the answer from to and prints it.
func exchange(ctx context.Context, out *console, c *xmpptest.Client, to, logPath string) error {
	const body = "Hello through passerelle!"
	out.step("sending a message to " + to)
	out.printf("   -> %s: %s\n", to, body)
	if err := c.SendRaw(ctx, `<message type='chat' to='`+to+`'><body>`+body+`</body></message>`); err != nil {
		return err
	}
	got, err := c.Next(ctx, func(s xmpptest.Stanza) bool { return s.Name == "message" && strings.HasPrefix(s.From, to) })
	if err != nil {
		return fmt.Errorf("no answer from %s: %w (see %s)", to, err, logPath)
	}
	if got.Err != nil {
		return fmt.Errorf("the gateway answered with an error: %s (see %s)", got.Err, logPath)
	}
	out.printf("   <- %s: %s\n", got.From, got.Body)
	return nil
}

// waitStop leaves the stack running until the demo is asked to stop (nil)
// or passerelle exits (its error).
func waitStop(ctx context.Context, out *console, exited <-chan error, logPath string) error {
	select {
	case <-ctx.Done():
		out.printf("\nstopping...\n")
		return nil
	case err := <-exited:
		return fmt.Errorf("passerelle exited: %v (see %s)", err, logPath)
	}
}

// generated is the first line of the config the demo writes.
const generated = "# Generated by passerelle-demo."

// marker is the file the demo writes into the folder it made: only such
// a folder is ever emptied.
const marker = ".passerelle-demo"

// freshDir empties dir for a new run (old state would hold an old
// password), or makes it. It removes a folder only if the demo made it
// (marker in it); one without, not empty (the user's own ./demo), is
// refused with an error, untouched. An empty one is taken. It returns
// the marker, locked: the folder is this run's until it is closed, and
// a folder another demo still runs in is refused, untouched, where it
// was emptied under that demo's Prosody and gateway.
func freshDir(dir string) (*os.File, error) {
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	case !fi.IsDir():
		return nil, fmt.Errorf("%s exists and is not a folder: choose another work folder with -dir", dir)
	default:
		if madeByDemo(dir) {
			if err := notInUse(dir); err != nil {
				return nil, err
			}
			if err := os.RemoveAll(dir); err != nil {
				return nil, err
			}
			break
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		if len(entries) > 0 {
			return nil, fmt.Errorf("%s is not empty and passerelle-demo did not make it (no %s file in it): it is left alone; choose another work folder with -dir", dir, marker)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, marker), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := tryLock(f); err != nil {
		// Another demo made it between the check and now.
		f.Close()
		return nil, inUse(dir, err)
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.WriteString("made by passerelle-demo, which empties this folder at each run\n"); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// notInUse checks that no running demo holds dir's marker. A folder of
// a demo older than the marker has none and no lock to check.
func notInUse(dir string) error {
	f, err := os.OpenFile(filepath.Join(dir, marker), os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close() // the lock, taken, goes with it
	if err := tryLock(f); err != nil {
		return inUse(dir, err)
	}
	return nil
}

// errLocked is tryLock's error (lock_unix.go) when another process
// holds the lock.
var errLocked = errors.New("locked by another process")

// inUse is the error for dir whose marker tryLock could not lock: err
// is errLocked when another demo holds it.
func inUse(dir string, err error) error {
	if errors.Is(err, errLocked) {
		return fmt.Errorf("%s is in use by a passerelle-demo still running: stop it (Ctrl-C in its terminal), or choose another work folder with -dir", dir)
	}
	return fmt.Errorf("lock %s: %w", filepath.Join(dir, marker), err)
}

// madeByDemo reports whether the demo made dir: its marker is there, or,
// from a demo older than the marker, the config it generates.
func madeByDemo(dir string) bool {
	if m, err := os.Lstat(filepath.Join(dir, marker)); err == nil && m.Mode().IsRegular() {
		return true
	}
	f, err := os.Open(filepath.Join(dir, "passerelle.toml"))
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, len(generated))
	_, err = io.ReadFull(f, head)
	return err == nil && string(head) == generated
}

func waitGateway(ctx context.Context, c *xmpptest.Client, domain string, exited <-chan error, logPath string) error {
	for {
		ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
		st, err := c.IQ(ictx, `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
		cancel()
		if err == nil && st.Type == "result" {
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("passerelle exited: %v (see %s)", err, logPath)
		case <-ctx.Done():
			return errors.New("the gateway did not come up; see " + logPath)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// clientHint is a client command to paste, for the port and account
// printed above it: the port changes at each run, and clients try TLS
// first, which the demo's Prosody does not offer.
func clientHint(port, user string) string {
	return "  Profanity: /connect " + user + " server 127.0.0.1 port " + port + " tls disable\n" +
		"  (Gajim: custom host and port as above, connection type plain)\n"
}

func portOf(addr string) string {
	return addr[strings.LastIndexByte(addr, ':')+1:]
}
