package signal

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/signal/rpc"
)

// A call rung out whose correction to a missed call the host did not
// confirm on disk stays ringing in calls-ringing.json, so the next
// connection (ringOutAll) tells it missed; before, it was noted missed
// first, and no later connection told it: the notice rang for good.
func TestRingOutUnconfirmedToldAgain(t *testing.T) {
	h := &recordingHost{failing: true}
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := rpc.Dial(filepath.Join(dir, "no-daemon.sock"), rpc.Options{})
	defer c.Close()
	s := &Session{n: &Network{host: h}, loginID: "l", dir: dir, c: c, calls: loadRinging(dir, log)}
	s.calls.calls["5"] = ringingCall{Chat: "+15550000002", At: time.Now().Add(-2 * ringLimit)}
	s.calls.save()
	s.ringOut("5")
	if n := len(h.events()); n != 0 {
		t.Fatalf("%d events emitted by a host failing", n)
	}

	// The next start.
	h.mu.Lock()
	h.failing = false
	h.mu.Unlock()
	s.calls = loadRinging(dir, log)
	s.ringOut("5") // as ringOutAll's timer does at once
	evs := h.events()
	if len(evs) != 1 || evs[0].GetEdit().GetText() != "Missed voice call" {
		t.Fatalf("after the restart: %v, want the call told missed", evs)
	}
}
