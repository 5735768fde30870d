package config

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// refuse makes readFile fail for path as the kernel fails a read of a
// root-only file by the service's DynamicUser.
func refuse(t *testing.T, path string) {
	t.Helper()
	old := readFile
	readFile = func(name string) ([]byte, error) {
		if name == path {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
		}
		return old(name)
	}
	t.Cleanup(func() { readFile = old })
}

// TestUnreadableConfigSaysWhatToDo: a configuration file the gateway's
// user may not read (chmod 600 by root, the systemd unit's DynamicUser)
// is reported with the user and what to do, by run and check-config as
// by check-store, not as a bare "permission denied".
func TestUnreadableConfigSaysWhatToDo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "passerelle.toml")
	if err := os.WriteFile(path, []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	refuse(t, path)
	_, err := Load(path)
	_, err2 := LoadStorePath(path)
	for _, err := range []error{err, err2} {
		if err == nil || !strings.Contains(err.Error(), "permission denied: the gateway's user (uid ") ||
			!strings.Contains(err.Error(), "keep it readable by all (chmod 644) with no secret in it") {
			t.Errorf("error = %v", err)
		}
	}
}

// TestUnreadableSecretFileSaysWhatToDo: a secret_file only root may read
// names the key, the user, and the unit's way to hand a secret over.
func TestUnreadableSecretFileSaysWhatToDo(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	secret := filepath.Join(dir, "echo.secret")
	if err := os.WriteFile(secret, []byte("s3cr3t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	refuse(t, secret)
	data := "[access]\nallow = [\"localhost\"]\n[[transport]]\nname = \"echo\"\ndomain = \"echo.localhost\"\nsecret_file = \"echo.secret\"\n"
	_, err := Parse(filepath.Join(dir, "passerelle.toml"), []byte(data))
	if err == nil || !strings.Contains(err.Error(), ":6: transport[0].secret_file: open "+secret+": permission denied: the gateway's user (uid ") ||
		!strings.Contains(err.Error(), "LoadCredential=NAME:PATH and set secret_file to /run/credentials/passerelle.service/NAME") {
		t.Errorf("error = %v", err)
	}
}

// TestSecretFileCredential: a secret_file at a systemd credential's path
// that is not there is refused by Load with the LoadCredential line to
// add, and recorded unread by LoadForCheck (check-config runs outside the
// unit, where it never exists); another missing file is refused by both.
func TestSecretFileCredential(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		file      string
		checkOK   bool
		wantError string
	}{
		{"/run/credentials/passerelle-credential-test.service/echo.secret", true,
			"no such file or directory: a systemd credential, there only while passerelle-credential-test.service runs with LoadCredential=echo.secret:/etc/passerelle/echo.secret in its unit"},
		{"/run/credentials/echo.secret", false, "no such file or directory"},
		{filepath.Join(dir, "echo.secret"), false, "no such file or directory"},
	} {
		path := filepath.Join(dir, "passerelle.toml")
		data := "[access]\nallow = [\"localhost\"]\n[[transport]]\nname = \"echo\"\ndomain = \"echo.localhost\"\nsecret_file = \"" + tc.file + "\"\n"
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(path); err == nil || !strings.Contains(err.Error(), ":6: transport[0].secret_file: open "+tc.file+": "+tc.wantError) {
			t.Errorf("%s: Load: %v; want %q", tc.file, err, tc.wantError)
		}
		c, err := LoadForCheck(path)
		switch {
		case tc.checkOK && err != nil:
			t.Errorf("%s: LoadForCheck: %v", tc.file, err)
		case tc.checkOK && (c.Transports[0].SecretSource != "credential "+tc.file || c.Transports[0].Secret != ""):
			t.Errorf("%s: LoadForCheck: source %q", tc.file, c.Transports[0].SecretSource)
		case !tc.checkOK && (err == nil || !strings.Contains(err.Error(), tc.wantError)):
			t.Errorf("%s: LoadForCheck: %v; want %q", tc.file, err, tc.wantError)
		}
	}
}
