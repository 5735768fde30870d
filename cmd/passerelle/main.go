// Command passerelle is a self-hosted XMPP gateway: it connects to an XMPP
// server as one external component per transport and bridges each
// transport's network (through its plugin) to the server's users.
//
// Usage:
//
//	passerelle run [-c FILE]            run the gateway
//	passerelle check-config [-c FILE]   validate the configuration, plugins included
//	passerelle check-store [-c FILE | --store PATH]
//	                                    report the state of the store
//	passerelle version                  print the version
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // served only when PASSERELLE_PPROF is set
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"passerelle.im/passerelle/bridge"
	"passerelle.im/passerelle/bridge/config"
	"passerelle.im/passerelle/bridge/xmpplink"
	"passerelle.im/passerelle/plugins/sdk"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module's build information.
var version = ""

const usage = `passerelle: a self-hosted XMPP gateway.

Usage:
  passerelle run [-c FILE]            run the gateway until SIGINT or SIGTERM
  passerelle check-config [-c FILE] [-no-plugins]
                                      validate the configuration, starting each plugin
                                      once with its config, and show what would run
  passerelle check-store [-c FILE | --store PATH]
                                      report the state of the store and its log
  passerelle version                  print the version

-c defaults to passerelle.toml. Run "passerelle COMMAND -h" for a command's help.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// exitConfig is run's exit status when the configuration is wrong
// (sysexits.h's EX_CONFIG): a restart cannot help, so the systemd unit
// names it in RestartPreventExitStatus instead of restarting for ever.
const exitConfig = 78

// run runs the command line args (without the program name) and returns the
// exit status: 0 on success, 1 on failure, 2 on a usage error, and for
// "run" exitConfig when the configuration is wrong.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "run":
		return cmdRun(rest, stdout, stderr)
	case "check-config":
		return cmdCheckConfig(rest, stdout, stderr)
	case "check-store":
		return cmdCheckStore(rest, stdout, stderr)
	case "version":
		return cmdVersion(rest, stdout, stderr)
	case "help":
		// "passerelle help run" is "passerelle run -h"; "help help" is
		// the usage.
		if len(rest) > 0 && rest[0] != "help" {
			if !slices.Contains(commands, rest[0]) {
				unknownCommand(rest[0], stderr)
				return 2
			}
			return run([]string{rest[0], "-h"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return 0
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case "-version", "--version":
		return cmdVersion(rest, stdout, stderr)
	default:
		unknownCommand(cmd, stderr)
		return 2
	}
}

// parseFlags parses a subcommand's flags. Help goes to stdout (it was asked
// for), flag errors and usage to stderr. When done is true, run returns code.
func parseFlags(fs *flag.FlagSet, synopsis string, args []string, stdout, stderr io.Writer) (code int, done bool) {
	var out bytes.Buffer
	fs.SetOutput(&out)
	fs.Usage = func() {
		fmt.Fprintf(&out, "Usage: passerelle %s\n", synopsis)
		fs.PrintDefaults()
	}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		io.Copy(stdout, &out)
		return 0, true
	case err != nil:
		if fs.Lookup("c") != nil && strings.HasSuffix(err.Error(), "provided but not defined: -config") {
			// --config FILE, as other daemons spell it.
			fmt.Fprintf(stderr, "passerelle %s: the configuration file is given with -c FILE, not --config\n", fs.Name())
		}
		io.Copy(stderr, &out)
		return 2, true
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "passerelle %s: unexpected argument %q%s\n", fs.Name(), fs.Arg(0), argumentHint(fs))
		fs.Usage()
		io.Copy(stderr, &out)
		return 2, true
	}
	return 0, false
}

// configFlag adds the -c flag shared by the commands that read the
// configuration.
func configFlag(fs *flag.FlagSet) *string {
	v := &onceValue{s: "passerelle.toml", what: "the configuration file"}
	fs.Var(v, "c", "configuration `FILE`")
	return &v.s
}

// onceValue is a string flag given at most once and not empty: "-c
// a.toml -c b.toml" ran b.toml alone, without a word of a.toml; -c ""
// (a shell variable left unset) said ": no such file", and check-store's
// --store "" checked the default configuration's store instead.
type onceValue struct {
	s    string
	set  bool
	what string // what the value names, for the empty value's error
}

func (v *onceValue) String() string {
	if v == nil {
		return ""
	}
	return v.s
}

func (v *onceValue) Set(s string) error {
	if v.set {
		return fmt.Errorf("given twice (%s, then %s): give one", v.s, s)
	}
	if s == "" {
		return fmt.Errorf("empty: give the path of %s", v.what)
	}
	v.s, v.set = s, true
	return nil
}

// loadConfig loads the configuration with load (config.Load, or
// config.LoadForCheck), writing every problem to stderr on its own line;
// command ("run", "check-config") is named in the secrets.env hint.
func loadConfig(command, path string, stderr io.Writer, load func(string) (*config.Config, error)) (*config.Config, bool) {
	noteStdinTerminal(path, stderr) // stdinterm.go
	cfg, err := load(path)
	if err != nil {
		printConfigError(path, err, stderr)
		hintSecretsEnv(command, path, err, stderr)
		return nil, false
	}
	return cfg, true
}

// printConfigError writes the configuration's problems to stderr, one a
// line; a missing file is said with how to give one.
func printConfigError(path string, err error, stderr io.Writer) {
	var ce *config.Error
	if errors.As(err, &ce) && ce.Key == "" && errors.Is(ce.Err, fs.ErrNotExist) {
		if path == "-" {
			// Other tools' spelling of stdin; a file named "-" is rare.
			fmt.Fprintf(stderr, "-: no such file (for the configuration on standard input, give -c /dev/stdin)\n")
			return
		}
		fmt.Fprintf(stderr, "%s: no such file (give the configuration with -c FILE; examples/passerelle.toml documents every key)\n", path)
		return
	}
	if fi, serr := os.Stat(path); serr == nil && fi.IsDir() {
		fmt.Fprintf(stderr, "%s: a folder, not the configuration file: give the file with -c FILE, such as -c %s\n", path, filepath.Join(path, "passerelle.toml"))
		return
	}
	fmt.Fprintln(stderr, err)
	hintNotTOML(path, err, stderr)
}

// hintNotTOML says, after a TOML syntax error in the file at path, that
// the file is another program's configuration when its name says so:
// the XMPP server's (prosody.cfg.lua, ejabberd.yml) or the systemd
// unit, files an admin edits beside passerelle.toml. Any other name
// (passerelle.conf, passerelle.toml.bak) may well be passerelle's own
// file with a typo: the syntax error alone says it.
func hintNotTOML(path string, err error, stderr io.Writer) {
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Key != "" || !strings.HasPrefix(ce.Err.Error(), "toml:") {
		return
	}
	var what string
	switch strings.ToLower(filepath.Ext(path)) {
	case ".lua":
		what = "Prosody's configuration (Lua), not passerelle's"
	case ".yml", ".yaml":
		what = "ejabberd's configuration (YAML), not passerelle's"
	case ".service":
		what = "the systemd unit, not passerelle's configuration"
	default:
		return
	}
	fmt.Fprintf(stderr, "%s: %s: give passerelle's TOML file with -c FILE (examples/passerelle.toml)\n", path, what)
}

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	path := configFlag(fs)
	if code, done := parseFlags(fs, "run [-c FILE]\n\nRun the gateway until SIGINT or SIGTERM. SIGHUP does not reload the\nconfiguration: it logs so, and whether the file would load now.\n", args, stdout, stderr); done {
		return code
	}
	cfg, ok := loadConfig("run", *path, config.ErrorOutput(stderr), config.Load)
	if !ok {
		return exitConfig
	}
	log := cfg.Logger(stderr)
	// The store's and the bridge's warnings of no one component (a torn
	// log, a damaged record skipped) go to slog's default: the
	// configuration's format and level too, not Go's plain log lines in
	// a JSON log.
	slog.SetDefault(log)
	// From here on: the start may wait seconds (the server's probe), and
	// Go's default for SIGHUP would end it.
	stopHangup := watchHangup(*path, log)
	defer stopHangup()
	// Go's own, container-aware value; an admin tunes it in the unit.
	log.Info("scheduler threads", "gomaxprocs", runtime.GOMAXPROCS(0), "cpus", runtime.NumCPU())
	cfg.WarnPermissions(log)
	cfg.WarnIgnoredSecrets(log)
	cfg.WarnMetricsExposed(log)
	// xmpp.server at the client or server-to-server port: the link says
	// so too, but retries for ever; this stops before any plugin starts,
	// with the exit status of a config error. An answer of another kind
	// is left to the link, which keeps trying.
	if a, err := xmpplink.Probe(context.Background(), cfg.XMPP.Server, probeDomain(cfg)); err == nil && wrongPortProblem(a) != "" {
		log.Error("configuration error", "err", serverError(cfg, a))
		return exitConfig
	}
	if err := cfg.Prepare(); err != nil {
		// A folder the gateway's user may not create or write: only a
		// change of the file or of the permissions helps.
		log.Error("cannot prepare the state folders", "err", err)
		return exitConfig
	}
	if addr := os.Getenv("PASSERELLE_PPROF"); addr != "" {
		// Profiling for the load tool and developers, e.g.
		// PASSERELLE_PPROF=127.0.0.1:6060; off unless asked for.
		log.Info("pprof listening", "addr", addr)
		go func() {
			if err := http.ListenAndServe(addr, nil); err != nil {
				log.Error("pprof server failed", "addr", addr, "err", err)
			}
		}()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go forceStop(ctx, stop, log)
	// bridge.Run logs its own start and stop.
	err := bridge.Run(ctx, cfg, log)
	// A stop asked for by signal is a clean exit, however Run reports it.
	if err != nil && (ctx.Err() == nil || !errors.Is(err, context.Canceled)) {
		log.Error("passerelle failed", "err", err)
		if errors.Is(err, bridge.ErrStoreUnusable) {
			return exitConfig // a restart cannot help
		}
		return 1
	}
	return 0
}

// forceStop makes a second SIGINT or SIGTERM, after the one that ended
// ctx, exit at once: a stop that hangs (a plugin process that does not go
// away) must not need kill -9. The store survives that as it survives a
// crash. A repeat within sameStop of the first is the same request sent
// twice, not a second one: timeout(1), and whatever kills a process and
// then its process group, signal the gateway twice at once.
func forceStop(ctx context.Context, stop context.CancelFunc, log *slog.Logger) {
	<-ctx.Done()
	first := time.Now()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	stop()
	// The stop may take seconds (plugins saving state): said when it
	// begins, an admin sees it is under way, and how to cut it short.
	// ctx also ends when run returns for another reason, its cause then
	// context.Canceled itself (a signal's cause only "is" Canceled).
	if cause := context.Cause(ctx); cause != context.Canceled {
		log.Info("stop signal received: stopping (a second SIGTERM or Ctrl-C exits at once)", "cause", cause.Error())
	}
	sig := secondSignal(sigs, first, time.Now)
	log.Error("second signal: exiting without waiting for the stop to finish", "signal", sig.String())
	os.Exit(1)
}

// secondSignal returns the first signal from sigs that comes sameStop or
// more after first (by now), the rest being repeats of the first.
func secondSignal(sigs <-chan os.Signal, first time.Time, now func() time.Time) os.Signal {
	for sig := range sigs {
		if now().Sub(first) >= sameStop {
			return sig
		}
	}
	return nil
}

// sameStop is how soon after the first a stop signal counts as a repeat
// of it; a person's second Ctrl-C comes later.
const sameStop = 500 * time.Millisecond

func cmdCheckConfig(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	path := configFlag(fs)
	noPlugins := fs.Bool("no-plugins", false, "do not start the plugins to check their [transport.config]")
	if code, done := parseFlags(fs, "check-config [-c FILE] [-no-plugins]\n\nValidate the configuration: list every problem, or show what would run.\nEach enabled transport's plugin is started with its [transport.config]\n(in a folder of its own, not its data_dir) and stopped again. xmpp.server\nis asked for a component stream (no handshake) to see it is the\ncomponent port, not the client port. The [metrics] and [media] listen\naddresses are opened and closed again.\n", args, stdout, stderr); done {
		return code
	}
	// Outside the service: its systemd credentials are not there to read.
	cfg, ok := loadConfig("check-config", *path, stderr, config.LoadForCheck)
	if !ok {
		return 1
	}
	fmt.Fprint(stdout, cfg.Summary())
	printPermissionWarnings(stdout, cfg)
	for _, err := range cfg.FolderProblems() {
		fmt.Fprintln(stderr, err)
		ok = false
	}
	ok = checkListeners(cfg, stdout, stderr) && ok
	ok = checkServer(cfg, stdout, stderr) && ok
	if !*noPlugins && !checkPlugins(cfg, stdout, stderr) {
		ok = false
	}
	if !ok {
		return 1
	}
	return 0
}

func cmdVersion(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if code, done := parseFlags(fs, "version\n\nPrint the version of passerelle and of the Go toolchain that built it.\n", args, stdout, stderr); done {
		return code
	}
	fmt.Fprintf(stdout, "passerelle %s %s %s/%s\n", sdk.BuildVersion(version), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return 0
}

// argumentHint says how to give the file an argument names, where the
// command takes it by a flag ("passerelle run passerelle.toml"), or "".
func argumentHint(fs *flag.FlagSet) string {
	arg := fs.Arg(0)
	switch {
	case fs.Lookup("c") == nil || strings.HasPrefix(arg, "-"):
		return ""
	case fs.Lookup("store") != nil && !strings.HasSuffix(strings.ToLower(arg), ".toml"):
		return fmt.Sprintf(" (a store is given with --store: passerelle %s --store %s; a configuration with -c FILE)", fs.Name(), arg)
	}
	return fmt.Sprintf(" (the configuration is given with -c: passerelle %s -c %s)", fs.Name(), arg)
}
