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
