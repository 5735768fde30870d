//go:build unix

package config

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSecretFileNamedPipeRefused: a secret_file that is a named pipe is
// refused, named as such; reading it waited forever for a writer, and
// check-config and run hung with no word.
func TestSecretFileNamedPipeRefused(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "echo.secret")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// Unblocks a read of the pipe should the loader open it, so the test
	// fails instead of hanging.
	t.Cleanup(func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	conf := filepath.Join(dir, "passerelle.toml")
	data := `
[access]
allow = ["localhost"]
[[transport]]
name = "echo"
domain = "echo.localhost"
secret_file = "echo.secret"
`
	if err := os.WriteFile(conf, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, load := range map[string]func(string) (*Config, error){"Load": Load, "LoadForCheck": LoadForCheck} {
		done := make(chan error, 1)
		go func() {
			_, err := load(conf)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "secret_file") || !strings.Contains(err.Error(), "is a named pipe") {
				t.Errorf("%s: got %v, want secret_file refused as a named pipe", name, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: still reading the named pipe after 20 s", name)
		}
	}
}
