package main

import (
	"strings"
	"testing"
)

// TestUnknownCommandSaysWhatToType: a misspelt command is answered with
// the command it likely is, a flag given first (passerelle -c FILE, as
// other daemons take it) with the command to put before it, and
// --version as version is: each a usage error but the last.
func TestUnknownCommandSaysWhatToType(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"chek-config"}, `passerelle: unknown command "chek-config" (did you mean check-config?)`},
		{[]string{"checkstore"}, `(did you mean check-store?)`},
		{[]string{"-c", "/etc/passerelle/passerelle.toml"}, `passerelle: "-c" is a flag: give a command first, e.g. "passerelle run -c"`},
	} {
		code, out, errs := call(tc.args...)
		if code != 2 || out != "" || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "Usage:") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and %q with the usage", tc.args, code, out, errs, tc.want)
		}
	}
	code, out, errs := call("--version")
	if code != 0 || errs != "" || !strings.HasPrefix(out, "passerelle ") {
		t.Errorf("--version: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestUnknownFlagFirst: a flag no command takes, given first, is said to
// be unknown; it was answered "give a command first, e.g. passerelle run
// -x", a line that fails the same way. A command's flag (-c in any
// spelling, --store, -no-plugins) gets the command that takes it.
func TestUnknownFlagFirst(t *testing.T) {
	code, out, errs := call("-x")
	if code != 2 || out != "" || !strings.Contains(errs, `passerelle: unknown flag "-x"`) || strings.Contains(errs, "passerelle run -x") {
		t.Errorf("-x: exit %d, stdout %q, stderr %q; want 2 and the flag said unknown", code, out, errs)
	}
	for arg, cmd := range map[string]string{"--c": "run", "-c=/etc/passerelle/passerelle.toml": "run", "--store": "check-store", "-no-plugins": "check-config"} {
		if code, _, errs := call(arg); code != 2 || !strings.Contains(errs, `e.g. "passerelle `+cmd+` `+arg+`"`) {
			t.Errorf("%s: exit %d, stderr %q; want %s to put first", arg, code, errs, cmd)
		}
	}
}

// TestHelpCommand: "passerelle help run" is "passerelle run -h" (it
// printed the general usage), "help help" the usage; "help" of no
// command is a usage error.
func TestHelpCommand(t *testing.T) {
	for _, cmd := range commands {
		code, out, errs := call("help", cmd)
		_, want, _ := call(cmd, "-h")
		if code != 0 || errs != "" || out != want {
			t.Errorf("help %s: exit %d, stderr %q, stdout:\n%s\nwant %q -h's:\n%s", cmd, code, errs, out, cmd, want)
		}
	}
	if code, out, errs := call("help", "help"); code != 0 || errs != "" || out != usage {
		t.Errorf("help help: exit %d, stderr %q, stdout %q; want the usage", code, errs, out)
	}
	if code, out, errs := call("help", "chek-config"); code != 2 || out != "" || !strings.Contains(errs, "did you mean check-config?") {
		t.Errorf("help chek-config: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestFileGivenWithoutFlag: a file given as an argument, as other
// daemons take it, is answered with the flag that gives it (it was
// "unexpected argument" alone), and -c given twice is refused (the last
// one ran, the first unread without a word).
func TestFileGivenWithoutFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "/etc/passerelle/passerelle.toml"}, `passerelle run: unexpected argument "/etc/passerelle/passerelle.toml" (the configuration is given with -c: passerelle run -c /etc/passerelle/passerelle.toml)`},
		{[]string{"check-config", "gw.toml"}, `(the configuration is given with -c: passerelle check-config -c gw.toml)`},
		{[]string{"check-store", "/var/lib/passerelle/passerelle.db"}, `(a store is given with --store: passerelle check-store --store /var/lib/passerelle/passerelle.db; a configuration with -c FILE)`},
		{[]string{"check-store", "gw.toml"}, `(the configuration is given with -c: passerelle check-store -c gw.toml)`},
		{[]string{"run", "-c", "a.toml", "-c", "b.toml"}, `given twice (a.toml, then b.toml): give one`},
		{[]string{"check-config", "-c", "a.toml", "-c", "b.toml"}, `given twice (a.toml, then b.toml): give one`},
	} {
		code, out, errs := call(tc.args...)
		if code != 2 || out != "" || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "Usage:") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and %q with the usage", tc.args, code, out, errs, tc.want)
		}
	}
	// An argument that is no file name gets no such hint.
	if _, _, errs := call("version", "x"); strings.Contains(errs, "given with") {
		t.Errorf("version x: %q", errs)
	}
}

// TestEmptyPathRefused: -c "" or --store "" (a shell variable left
// unset: -c "$CONF") is a usage error that says the value is empty. -c ""
// said ": no such file", and check-store --store "" checked the store
// of ./passerelle.toml instead, without a word.
func TestEmptyPathRefused(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "-c", ""}, `invalid value "" for flag -c: empty: give the path of the configuration file`},
		{[]string{"check-config", "-c="}, `invalid value "" for flag -c: empty: give the path of the configuration file`},
		{[]string{"check-store", "-c", ""}, `invalid value "" for flag -c: empty: give the path of the configuration file`},
		{[]string{"check-store", "--store", ""}, `invalid value "" for flag -store: empty: give the path of the store`},
	} {
		code, out, errs := call(tc.args...)
		if code != 2 || out != "" || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "Usage:") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and %q with the usage", tc.args, code, out, errs, tc.want)
		}
	}
}

// TestConfigDashSaysStdin: -c - (other tools' stdin) with no file named
// "-" says how to give the configuration on standard input; it said
// "-: no such file (give the configuration with -c FILE ...)", the flag
// just given.
func TestConfigDashSaysStdin(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, cmd := range []string{"run", "check-config", "check-store"} {
		_, _, errs := call(cmd, "-c", "-")
		if want := "-: no such file (for the configuration on standard input, give -c /dev/stdin)"; !strings.Contains(errs, want) {
			t.Errorf("%s -c -: stderr %q, want %q", cmd, errs, want)
		}
	}
}
