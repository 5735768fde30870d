package pluginhost

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/syncbuf"
)

// TestFailedStartLogsOneLine: each failed start of a plugin (no such
// file, a program that is no plugin) logs one line that names the plugin
// and the cause, and nothing of go-plugin's cleanup. Before, go-plugin
// added "plugin failed to exit gracefully" and "plugin process exited
// error=context canceled" to each, and the host's own line said the
// plugin "stopped".
func TestFailedStartLogsOneLine(t *testing.T) {
	for _, tc := range []struct{ path, cause string }{
		{filepath.Join(t.TempDir(), "missing"), "no such file or directory"},
		{"/bin/true", "is it a passerelle plugin?"},
	} {
		logs := &syncbuf.Buffer{}
		h := New(Config{Name: "x", Path: tc.path, DataDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(logs, nil))})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { h.Run(ctx); close(done) }()
		deadline := time.Now().Add(30 * time.Second)
		for strings.Count(logs.String(), "failed to start") < 3 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: no three failed starts logged:\n%s", tc.path, logs)
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		<-done
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			if !strings.Contains(line, "level=ERROR msg=\"transport plugin failed to start; trying again\"") ||
				!strings.Contains(line, "plugin="+tc.path) || !strings.Contains(line, tc.cause) || !strings.Contains(line, "retry_in=") {
				t.Errorf("%s: line %q, want only the failed start's, naming the plugin and %q", tc.path, line, tc.cause)
			}
		}
	}
}
