package bridge

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/pluginhost"
	"passerelle.im/passerelle/internal/syncbuf"
)

// TestBackfillRefusedAskedAgain: a chat's history request that failed
// (the plugin not ready: a chat that appeared in an event while the
// reload of the other logins outlasted the wait) is asked again by the
// next fetch of that chat, as the login's after its contact sync. It
// stayed marked as asked for the plugin's run: the chat got no history
// until the plugin or the gateway restarted.
func TestBackfillRefusedAskedAgain(t *testing.T) {
	tr := newTestTransport(t)
	var logs syncbuf.Buffer
	tr.log = slog.New(slog.NewTextHandler(&logs, nil))
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: tr.log})
	// A host whose run ended: a call for the plugin fails at once.
	stopped, stop := context.WithCancel(context.Background())
	stop()
	tr.host.Run(stopped)
	b := newBackfill(tr, 10)
	tr.hist = b
	for i := range 2 {
		b.fetch(context.Background(), "l", []string{"bob"})
		if n := strings.Count(logs.String(), `msg="backfill request failed"`); n != i+1 {
			t.Fatalf("fetch %d: %d requests failed, want %d: the refused chat was not asked again\n%s", i+1, n, i+1, logs.String())
		}
	}
}
