package pluginhost

import (
	"log/slog"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/syncbuf"
)

// runScriptLog runs the script plugin body under a host until its log
// says the plugin stopped, and returns the log.
func runScriptLog(t *testing.T, body string) string {
	t.Helper()
	path, _ := script(t, body)
	logs := &syncbuf.Buffer{}
	h := New(Config{Name: "raw", Path: path, DataDir: t.TempDir(), ConfigJSON: []byte("{}"), Domain: "raw.localhost",
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), OnEvents: (&recorder{}).onEvents})
	stop := running(t, h)
	waitFor(t, "the restart log line", func() bool { return strings.Contains(logs.String(), "transport plugin failed to start; trying again") })
	stop()
	out := logs.String()
	// Only the first run's: the plugin is started again meanwhile.
	if i := strings.Index(out, "transport plugin failed to start; trying again"); i >= 0 {
		if j := strings.IndexByte(out[i:], '\n'); j >= 0 {
			out = out[:i+j+1]
		}
	}
	return out
}

// TestPluginHugeLogLine: a plugin's stderr line of 3 MB is logged cut,
// with the size of what was cut, not as the 46 records of 64 KiB that
// flooded the gateway's log before.
func TestPluginHugeLogLine(t *testing.T) {
	out := runScriptLog(t, `head -c 3000000 /dev/zero | tr '\0' x >&2; echo >&2; echo after >&2; exit 1`)
	if len(out) > 100<<10 {
		t.Errorf("a 3 MB line of the plugin's took %d bytes of the gateway's log", len(out))
	}
	if !strings.Contains(out, "cut_bytes=") || !strings.Contains(out, "msg=after") {
		t.Errorf("the log does not say the line was cut, or lost the next line:\n%.2000s", out)
	}
}

// TestPluginLogLinesOnce: a plugin's warning, error and panic lines are
// logged once each, at their level. Before, go-plugin logged each again
// beside logWriter (every "[WARN]" line, hclog JSON line and panic line
// showed twice), and logWriter took "[WARN]" lines and panics for info.
func TestPluginLogLinesOnce(t *testing.T) {
	out := runScriptLog(t, `echo '[WARN] careful' >&2
echo '{"@level":"error","@message":"boom","x":1}' >&2
echo 'panic: oh no' >&2
echo 'goroutine 1 [running]:' >&2
exit 2`)
	for _, want := range []string{`level=WARN msg="[WARN] careful"`, `level=ERROR msg=boom`, `level=ERROR msg="panic: oh no"`, `level=ERROR msg="goroutine 1 [running]:"`} {
		if n := strings.Count(out, want); n != 1 {
			t.Errorf("%q logged %d times, want once:\n%s", want, n, out)
		}
	}
}

// TestPluginLogFlood: a plugin that logs lines in a loop has them
// dropped past the rate, said in the log; the gateway's log stays
// bounded. Before, every line went to it.
func TestPluginLogFlood(t *testing.T) {
	defer func(b int, r float64) { logBurst, logRate = b, r }(logBurst, logRate)
	logBurst, logRate = 100, 1
	out := runScriptLog(t, `i=0; while [ $i -lt 20000 ]; do echo "line $i"; i=$((i+1)); done >&2; exit 1`)
	if n := strings.Count(out, "msg=\"line "); n > 1000 {
		t.Errorf("%d of the plugin's 20000 lines logged, past a burst of 100 and 1 a second", n)
	}
	if !strings.Contains(out, "its lines are dropped until it slows down") {
		t.Errorf("the log does not say lines are dropped:\n%.3000s", out)
	}
}
