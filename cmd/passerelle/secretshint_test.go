package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretsEnvNotLoadedSaid: check-config (or run) by hand, without
// the secrets the service loads from secrets.env beside the file (the
// README's layout), says which variables that file sets and the command
// that checks with them, where it said only "secret: missing". The
// values are never written.
func TestSecretsEnvNotLoadedSaid(t *testing.T) {
	path := setup(t, "[xmpp]\nserver = \""+closedAddr(t)+"\"\n[access]\nallow = [\"localhost\"]\n[[transport]]\nname = \"echo\"\ndomain = \"echo.localhost\"\n")
	env := filepath.Join(filepath.Dir(path), "secrets.env")
	if err := os.WriteFile(env, []byte("# the service's secrets\nPASSERELLE_SECRET_ECHO=s3cr3t-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"check-config", "run"} {
		code, out, errs := call(cmd, "-c", path)
		want := "sudo sh -c 'set -a; . " + env + "; passerelle " + cmd + " -c " + path + "'"
		if code == 0 || !strings.Contains(errs, "transport[0].secret: missing") ||
			!strings.Contains(errs, env+" sets PASSERELLE_SECRET_ECHO") || !strings.Contains(errs, want) {
			t.Errorf("%s: exit %d, stderr %q; want the missing secret, the variable secrets.env sets and %q", cmd, code, errs, want)
		}
		if strings.Contains(out+errs, "s3cr3t-value") {
			t.Errorf("%s wrote the secret's value: %q", cmd, out+errs)
		}
	}
	// A file named from its own folder: sh's "." would look a bare
	// "secrets.env" up in PATH.
	t.Chdir(filepath.Dir(path))
	if _, _, errs := call("check-config", "-c", "passerelle.toml"); !strings.Contains(errs, "sudo sh -c 'set -a; . ./secrets.env; passerelle check-config -c passerelle.toml'") {
		t.Errorf("relative path: stderr %q", errs)
	}
	// With the file loaded, as that command does: no problem, no hint.
	t.Setenv("PASSERELLE_SECRET_ECHO", "s3cr3t-value")
	if code, _, errs := call("check-config", "-no-plugins", "-c", path); code != 0 || strings.Contains(errs, "secrets.env") {
		t.Errorf("with the secrets loaded: exit %d, stderr %q", code, errs)
	}
}
