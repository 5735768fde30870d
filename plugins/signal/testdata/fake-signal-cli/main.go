// Command fake-signal-cli stands for signal-cli in tests of the plugin's
// supervision: `fake-signal-cli --config DIR daemon --socket PATH ...`
// runs the fake daemon (package fakesignal) with the accounts named in
// FAKESIGNAL_ACCOUNTS ("number:aci,..."), writes its pid and JAVA_HOME
// into DIR, and runs until killed. FAKESIGNAL_DELIVER, an envelope's
// JSON, is queued for the first of those accounts. With FAKESIGNAL_FAIL
// set, or a file "fail" in DIR, it writes that text to stderr (after
// FAKESIGNAL_NOISE lines of log) and exits 1, as a signal-cli without
// its Java. The daemon's arguments are written into DIR's "daemon-args",
// one a line; an argument signal-cli's daemon does not know, or a receive
// mode, is refused as its argument parser does, the error the last line
// of stderr. At SIGUSR1, the methods named in a file "stall" in DIR are
// from then on read and never answered, as a signal-cli hung. Before its
// socket, it locks DIR's "account.lock" (flock) as signal-cli locks each
// account's file: held by another process, it says so in signal-cli's
// words and waits for it, as signal-cli does. Each start adds a line to
// DIR's "starts".
package main

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

func main() {
	fs := flag.NewFlagSet("fake-signal-cli", flag.ContinueOnError)
	config := fs.String("config", "", "data folder")
	version := fs.Bool("version", false, "print the version")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if *version {
		fmt.Println("signal-cli " + fakesignal.Version)
		return
	}
	if *config != "" {
		// One line a start, for tests counting them.
		if f, err := os.OpenFile(filepath.Join(*config, "starts"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err == nil {
			fmt.Fprintln(f, os.Getpid())
			f.Close()
		}
	}
	msg := os.Getenv("FAKESIGNAL_FAIL")
	if b, err := os.ReadFile(filepath.Join(*config, "fail")); err == nil && *config != "" {
		msg = strings.TrimSpace(string(b)) // a start that fails from now on
	}
	if msg != "" {
		// FAKESIGNAL_NOISE lines of log first, as a Java that says much
		// before its last word.
		n, _ := strconv.Atoi(os.Getenv("FAKESIGNAL_NOISE"))
		for i := range n {
			fmt.Fprintf(os.Stderr, "INFO noise line %d of a signal-cli starting up, long enough to fill the pipe\n", i)
		}
		fmt.Fprintln(os.Stderr, msg)
		os.Exit(1)
	}
	args := fs.Args()
	if len(args) == 0 || args[0] != "daemon" {
		fmt.Fprintln(os.Stderr, "fake-signal-cli: only the daemon command is known")
		os.Exit(2)
	}
	sub := flag.NewFlagSet("daemon", flag.ContinueOnError)
	socket := sub.String("socket", "", "socket path")
	mode := sub.String("receive-mode", "on-start", "")
	sub.Bool("no-receive-stdout", false, "")
	sub.Bool("ignore-stories", false, "")
	sub.Bool("ignore-attachments", false, "")
	sub.SetOutput(io.Discard) // the error alone, last, as the supervisor reports it
	err := sub.Parse(args[1:])
	switch {
	case err != nil:
		fmt.Fprintln(os.Stderr, "fake-signal-cli: daemon:", err)
		os.Exit(2)
	case !slices.Contains([]string{"on-start", "on-connection", "manual"}, *mode):
		// signal-cli's argparse choices (ReceiveMode).
		fmt.Fprintf(os.Stderr, "fake-signal-cli: daemon: argument --receive-mode: invalid choice: '%s'\n", *mode)
		os.Exit(2)
	case *socket == "":
		fmt.Fprintln(os.Stderr, "fake-signal-cli: daemon needs --socket")
		os.Exit(2)
	}
	if *config != "" {
		lockAccount(filepath.Join(*config, "account.lock"))
	}
	d, err := fakesignal.Start(*socket)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	first := ""
	for _, a := range strings.Split(os.Getenv("FAKESIGNAL_ACCOUNTS"), ",") {
		if number, aci, ok := strings.Cut(a, ":"); ok {
			d.AddAccount(number, aci)
			first = cmp.Or(first, number)
		}
	}
	if env := os.Getenv("FAKESIGNAL_DELIVER"); env != "" && first != "" {
		d.DeliverRaw(first, json.RawMessage(env))
	}
	if *config != "" {
		os.WriteFile(filepath.Join(*config, "fake.pid"), []byte(fmt.Sprint(os.Getpid())), 0o600)
		os.WriteFile(filepath.Join(*config, "java_home"), []byte(os.Getenv("JAVA_HOME")), 0o600)
		os.WriteFile(filepath.Join(*config, "daemon-args"), []byte(strings.Join(args[1:], "\n")), 0o600)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1)
	for s := range sig {
		if s != syscall.SIGUSR1 {
			break
		}
		b, _ := os.ReadFile(filepath.Join(*config, "stall"))
		for _, m := range strings.Fields(string(b)) {
			d.Stall(m)
		}
	}
	d.Close()
}

// lockFile is the account's file lockAccount locked.
var lockFile *os.File

// lockAccount takes the lock on path, waiting for it as signal-cli's
// SignalAccount.openFileChannel does, with its log lines. The lock is
// held until the process ends.
func lockAccount(path string) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lockFile = f // kept: a file collected is closed, and its lock gone
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "INFO  SignalAccount - Config file is in use by another instance, waiting…")
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "INFO  SignalAccount - Config file lock acquired.")
}
