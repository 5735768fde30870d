package signal

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
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

// A call offer whose notice the host did not confirm on disk (its
// envelope then handled again at the next start) is shown at that
// start, under the same event ID; before, it was noted ringing first,
// and the replay took it for an offer seen: the call was never shown.
func TestCallOfferUnconfirmedShownAfterRestart(t *testing.T) {
	h := &recordingHost{failing: true}
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &Session{n: &Network{host: h}, loginID: "l", dir: dir, calls: loadRinging(dir, log)}
	offer := &callMessage{}
	if err := json.Unmarshal([]byte(`{"offerMessage":{"id":77,"type":"AUDIO_CALL"}}`), offer); err != nil {
		t.Fatal(err)
	}
	const bob = "+15550000002"
	ts := time.Now().UnixMilli()
	s.callNotice(context.Background(), &pb.Sender{UserId: bob}, bob, ts, offer)
	if n := len(h.events()); n != 0 || s.unfinished.Load() == 0 {
		t.Fatalf("%d events emitted by a host failing, unfinished %d", n, s.unfinished.Load())
	}

	// The next start: the envelope is handled again.
	h.mu.Lock()
	h.failing = false
	h.mu.Unlock()
	s = &Session{n: &Network{host: h}, loginID: "l", dir: dir, calls: loadRinging(dir, log)}
	s.callNotice(context.Background(), &pb.Sender{UserId: bob}, bob, ts, offer)
	evs := h.events()
	if len(evs) != 1 || evs[0].EventId != callEventID("77") || !strings.Contains(evs[0].GetMessage().GetText(), "call") {
		t.Fatalf("after the restart: %v, want the call shown", evs)
	}
}
