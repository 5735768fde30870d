package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"os"

	"passerelle.im/passerelle/bridge/config"
	"passerelle.im/passerelle/store"
)

const checkStoreSynopsis = `check-store [-c FILE | --store PATH]

Report the state of the gateway's store and its write-ahead log: schema
version, records per transport, outbox depth, log files with their record
counts and any damaged bytes, and bbolt's own consistency check. It only
reads; stop passerelle first (it holds the file locked). Exits 1 when the
store is damaged or cannot be read. Of the configuration, only [store]
is read (the secrets need not be at hand).
`

func cmdCheckStore(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check-store", flag.ContinueOnError)
	path := configFlag(fs)
	storeFlag := &onceValue{what: "the store"}
	fs.Var(storeFlag, "store", "the store `PATH` to check, instead of the one the configuration names")
	storePath := &storeFlag.s
	if code, done := parseFlags(fs, checkStoreSynopsis, args, stdout, stderr); done {
		return code
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["c"] && set["store"] {
		// --store would win and the file go unread, without a word.
		fmt.Fprintf(stderr, "passerelle check-store: give -c FILE or --store PATH, not both: --store names the store itself, -c the configuration whose store.path to check\n")
		return 2
	}
	p, from := *storePath, "the --store path"
	if p == "" {
		from = "store.path in " + *path
		// Only [store] is read: the rest need not be checkable here (a
		// secret in the service's environment file, a plugin not
		// installed) for the store to be.
		var err error
		if p, err = config.LoadStorePath(*path); err != nil {
			printConfigError(*path, err, stderr)
			return 1
		}
	}
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() && !fi.Mode().IsRegular() {
		// A named pipe blocked check-store for ever; /dev/null was
		// reported "empty: not set up yet", ok.
		fmt.Fprintf(stderr, "passerelle check-store: %s is %s, not a store file (check %s)\n", p, config.FileKind(fi.Mode()), from)
		return 1
	}
	r, err := store.Inspect(p, 0)
	if errors.Is(err, iofs.ErrNotExist) {
		// Before the first run, or a path that is not the gateway's:
		// say which, not just the stat error.
		fmt.Fprintf(stderr, "passerelle check-store: %s: no such file: passerelle run creates the store at its first start; before it there is nothing to check (else check %s)\n", p, from)
		return 1
	}
	if errors.Is(err, store.ErrLocked) {
		// The running gateway's lock: say what to do, once, not the
		// store's error with the path twice and bbolt's "timeout".
		fmt.Fprintf(stderr, "passerelle check-store: %s is in use: another process, most likely the running gateway, holds it locked; stop passerelle first (sudo systemctl stop passerelle), then check it\n", p)
		return 1
	}
	if errors.Is(err, iofs.ErrPermission) {
		// The store is the gateway's user's, mode 0600: an admin's own
		// account may not read it.
		fmt.Fprintf(stderr, "passerelle check-store: %v: run check-store as the gateway's user or as root (sudo passerelle check-store ...)\n", err)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "passerelle check-store: %v\n", err)
		return 1
	}
	if err := r.WriteText(stdout); err != nil {
		fmt.Fprintf(stderr, "passerelle check-store: %v\n", err)
		return 1
	}
	if r.Damaged() {
		if r.CutShort {
			// The gateway's file, whole at first: not another
			// program's, as the message below would guess.
			fmt.Fprintf(stderr, "passerelle check-store: %s is cut short, as a copy or a restore that did not finish leaves a file: restore a whole backup (or move it away: passerelle then starts a new, empty store)\n", r.Path)
			return 1
		}
		if !r.Empty && r.Schema == "" {
			// Nothing of a passerelle store could be read: the report
			// alone ("invalid database", DAMAGED) reads as a store to
			// repair when store.path may just name the wrong file.
			fmt.Fprintf(stderr, "passerelle check-store: %s holds no passerelle store that can be read: either it is another program's file (check %s; for a new store, name a path that does not exist yet) or the gateway's store with its first pages damaged (restore a backup)\n", r.Path, from)
		}
		return 1
	}
	return 0
}
