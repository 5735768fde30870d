package main

import (
	"strings"
	"testing"
)

// TestCheckConfigSystemdCredential: a secret_file handed over by the
// unit's LoadCredential (/run/credentials/UNIT/NAME, as
// examples/passerelle.service shows) exists only inside the service, but
// the unit's header tells the admin to run check-config from a shell
// first. check-config accepts it and says it was not checked; run, where
// it is missing, names the LoadCredential line to add. check-config
// failed with "open ...: no such file or directory", which left the admin
// who followed the example no way to check the file.
func TestCheckConfigSystemdCredential(t *testing.T) {
	// A unit that is not running here: its credentials folder is absent.
	const cred = "/run/credentials/passerelle-credential-test.service/echo.secret"
	path := setup(t, "[xmpp]\nserver = \""+closedAddr(t)+"\"\n"+
		strings.Replace(valid, `secret = "hunter2"`, `secret_file = "`+cred+`"`, 1))
	code, out, errs := call("check-config", "-c", path)
	if code != 0 || errs != "" {
		t.Errorf("check-config: exit %d, stderr %q; want 0", code, errs)
	}
	if !strings.Contains(out, "secret:   from secret_file "+cred+", a systemd credential of passerelle-credential-test.service: not checked") {
		t.Errorf("check-config does not say the credential was not checked:\n%s", out)
	}
	code, _, errs = call("run", "-c", path)
	if code != exitConfig || !strings.Contains(errs, path+":9: transport[0].secret_file: open "+cred+": no such file or directory") ||
		!strings.Contains(errs, "LoadCredential=echo.secret:/etc/passerelle/echo.secret") {
		t.Errorf("run: exit %d, stderr %q; want %d, the file's line and the LoadCredential line to add", code, errs, exitConfig)
	}
}
