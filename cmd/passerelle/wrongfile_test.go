package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServerConfigGivenSaid: -c naming the XMPP server's configuration
// (examples/prosody.cfg.lua, examples/ejabberd.yml: files an admin
// edits beside passerelle.toml) is said as such, with the file to give,
// by every command that reads it; it was TOML's error alone, "toml:
// expected '.' or '=', but got ':' instead".
func TestServerConfigGivenSaid(t *testing.T) {
	for _, c := range []struct{ example, want string }{
		{"prosody.cfg.lua", "Prosody's configuration (Lua), not passerelle's"},
		{"ejabberd.yml", "ejabberd's configuration (YAML), not passerelle's"},
		{"passerelle.service", "the systemd unit, not passerelle's configuration"},
	} {
		data, err := os.ReadFile(filepath.Join("../../examples", c.example))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), c.example)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, cmd := range []string{"check-config", "run", "check-store"} {
			code, _, errs := call(cmd, "-c", path)
			want := 1
			if cmd == "run" {
				want = exitConfig
			}
			if code != want {
				t.Errorf("%s -c %s: exit %d, want %d", cmd, c.example, code, want)
			}
			for _, w := range []string{path + ": " + c.want, "give passerelle's TOML file with -c FILE (examples/passerelle.toml)"} {
				if !strings.Contains(errs, w) {
					t.Errorf("%s -c %s: stderr lacks %q:\n%s", cmd, c.example, w, errs)
				}
			}
		}
	}
}

// TestCheckStoreBothFlagsRefused: check-store takes -c FILE or --store
// PATH, as its usage says; given both, --store won and the file went
// unread without a word.
func TestCheckStoreBothFlagsRefused(t *testing.T) {
	path := setup(t, valid)
	code, out, errs := call("check-store", "-c", path, "--store", filepath.Join(t.TempDir(), "x.db"))
	if code != 2 || out != "" {
		t.Errorf("exit %d, stdout %q; want 2 and nothing", code, out)
	}
	if want := "give -c FILE or --store PATH, not both"; !strings.Contains(errs, want) {
		t.Errorf("stderr lacks %q:\n%s", want, errs)
	}
}

// TestConfigFlagSpeltLong: --config FILE (as other daemons spell it) is
// answered with the flag passerelle takes, -c FILE, after a command or
// before any (passerelle --config FILE: it was "unknown flag", with no
// word of -c).
func TestConfigFlagSpeltLong(t *testing.T) {
	for _, arg := range []string{"--config", "-config", "--config=/etc/passerelle/passerelle.toml"} {
		code, out, errs := call(arg, "x.toml")
		if code != 2 || out != "" {
			t.Errorf("%s first: exit %d, stdout %q; want 2 and nothing", arg, code, out)
		}
		if want := `the configuration file is given with -c FILE, after a command: e.g. "passerelle run -c FILE"`; !strings.Contains(errs, want) {
			t.Errorf("%s first: stderr lacks %q:\n%s", arg, want, errs)
		}
	}
	for _, cmd := range []string{"run", "check-config", "check-store"} {
		code, _, errs := call(cmd, "--config", "x.toml")
		if code != 2 {
			t.Errorf("%s --config: exit %d, want 2", cmd, code)
		}
		if want := "the configuration file is given with -c FILE"; !strings.Contains(errs, want) {
			t.Errorf("%s --config: stderr lacks %q:\n%s", cmd, want, errs)
		}
	}
}

// TestOwnFileOtherNameNotCalledForeign: passerelle's own TOML with a
// syntax error, named otherwise than *.toml (passerelle.conf, a .bak
// copy), gets the syntax error alone; it was also told that "a conf
// file" is not passerelle's configuration.
func TestOwnFileOtherNameNotCalledForeign(t *testing.T) {
	for _, name := range []string{"passerelle.conf", "passerelle.toml.bak"} {
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, []byte("[access]\nallow = [\"localhost\"\n[[transport]]\nname = \"echo\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, errs := call("check-config", "-c", path)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1", name, code)
		}
		if want := path + ":3: toml: "; !strings.Contains(errs, want) {
			t.Errorf("%s: stderr lacks %q:\n%s", name, want, errs)
		}
		if strings.Contains(errs, "not passerelle's configuration") {
			t.Errorf("%s: passerelle's own file said to be another's:\n%s", name, errs)
		}
	}
}
