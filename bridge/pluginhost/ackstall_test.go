package pluginhost

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/plugins/plugintest"
)

// TestPluginNeverReadsAcks: a plugin that never reads the acks of its
// Events stream (their flow-control window fills) still has every event
// it sends stored, in order, and the log names the plugin and says what
// waits. Before, the pump waited for each ack's Send: past a few
// thousand acks the plugin's events were no longer read, the
// transport's deliveries stopped, and nothing was logged.
func TestPluginNeverReadsAcks(t *testing.T) {
	old := AckStallWarn
	AckStallWarn = time.Second
	t.Cleanup(func() { AckStallWarn = old })
	const n = 40000 // the noacks plugin's default (NOACKS_EVENTS unset: pluginEnv does not pass it)
	rec := &recorder{}
	logs := &syncbuf.Buffer{}
	path := plugintest.BuildBinary(t, "./testdata/noacks")
	h := New(Config{Name: "noacks", Path: path, DataDir: t.TempDir(), ConfigJSON: []byte("{}"), Domain: "noacks.localhost",
		Log: slog.New(slog.NewTextHandler(logs, nil)), OnEvents: rec.onEvents, HealthInterval: time.Second})
	running(t, h)
	deadline := time.Now().Add(90 * time.Second)
	for {
		rec.mu.Lock()
		got := len(rec.events)
		rec.mu.Unlock()
		if got >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of the plugin's %d events stored: the pump stalled behind acks the plugin does not read\n%s", got, n, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	rec.mu.Lock()
	for i, ev := range rec.events {
		if ev.Seq != uint64(i+1) {
			rec.mu.Unlock()
			t.Fatalf("event %d has seq %d: out of order or repeated", i, ev.Seq)
		}
	}
	rec.mu.Unlock()
	for !strings.Contains(logs.String(), "does not read the acknowledgements of its Events stream") {
		if time.Now().After(deadline) {
			t.Fatalf("the stalled acks are not logged:\n%s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "plugin="+path) {
		t.Errorf("the warning does not name the plugin %s:\n%s", path, logs)
	}
}
