package config

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestStreamConfigRelativeToWorkingDir: a configuration read from a
// stream (-c /dev/stdin, /dev/fd/N, bash's <(...)) resolves its relative
// paths against the working directory, there being no folder of the
// file: with -c /dev/stdin the store was /dev/data/passerelle.db and a
// secret_file was looked for in /dev.
func TestStreamConfigRelativeToWorkingDir(t *testing.T) {
	isolate(t)
	wd := t.TempDir()
	t.Chdir(wd)
	if err := os.WriteFile(filepath.Join(wd, "echo.secret"), []byte("s3cr3t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const data = `
[store]
path = "state/gw.db"
[access]
allow = ["localhost"]
[[transport]]
name = "echo"
domain = "echo.localhost"
secret_file = "echo.secret"
`
	// fromPipe is the path of a pipe's read end that holds data, as the
	// shell hands a configuration piped in.
	fromPipe := func() string {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		if _, err := w.WriteString(data); err != nil {
			t.Fatal(err)
		}
		w.Close()
		return "/dev/fd/" + strconv.Itoa(int(r.Fd()))
	}
	path := fromPipe()
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	if want := filepath.Join(wd, "state", "gw.db"); c.Store.Path != want {
		t.Errorf("Store.Path = %q, want %q (the working directory's)", c.Store.Path, want)
	}
	if c.Transports[0].Secret != "s3cr3t" {
		t.Errorf("secret_file not read from the working directory: secret %q", c.Transports[0].Secret)
	}
	if want := filepath.Join(wd, "state", "gw.db"); mustStorePath(t, fromPipe()) != want {
		t.Errorf("LoadStorePath: want %q", want)
	}
	if got, want := SecretsEnvPath(path), filepath.Join(wd, "secrets.env"); got != want {
		t.Errorf("SecretsEnvPath(%s) = %q, want %q", path, got, want)
	}
	// A regular file keeps its own folder, wherever the command runs.
	dir := t.TempDir()
	file := filepath.Join(dir, "passerelle.toml")
	if err := os.WriteFile(file, []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := Load(file); err != nil {
		t.Error(err)
	} else if want := filepath.Join(dir, "data", "passerelle.db"); c.Store.Path != want {
		t.Errorf("a regular file: store %q, want its own folder's %q", c.Store.Path, want)
	}
}

func mustStorePath(t *testing.T, path string) string {
	t.Helper()
	p, err := LoadStorePath(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestStreamConfigPermissionNamesFile: a configuration given as
// -c /dev/stdin < FILE (a file open to group or others, a secret inline)
// is warned about by the file's own name, not /dev/stdin's, which the
// warning named with "chmod 600 /dev/stdin".
func TestStreamConfigPermissionNamesFile(t *testing.T) {
	isolate(t)
	t.Chdir(t.TempDir())
	file := filepath.Join(t.TempDir(), "passerelle.toml")
	if err := os.WriteFile(file, []byte(minimal), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(file, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	path := "/dev/fd/" + strconv.Itoa(int(f.Fd()))
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, w := range c.PermissionWarnings() {
		if strings.Contains(w.Why, "secret") {
			found = true
			if w.Path != file || strings.Contains(w.String(), "/dev/fd") {
				t.Errorf("the warning names %q (%s), want the file %s", w.Path, w, file)
			}
		}
	}
	if !found {
		t.Errorf("no warning of the file's mode 0644: %v", c.PermissionWarnings())
	}
}
