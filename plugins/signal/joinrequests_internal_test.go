package signal

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// A request to join whose notice the host did not confirm on disk is
// told again at the next start (its envelope is handled again, or the
// groups are read again at the connection), as an invitation is
// (invited.go's untold): it was noted told before the telling, and the
// next start told nothing.
func TestJoinRequestUnconfirmedToldAgain(t *testing.T) {
	h := &recordingHost{failing: true}
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &Session{n: &Network{host: h}, loginID: "l", dir: dir, ids: loadIdentities(dir, nil), acc: Account{Number: "+15550000001"},
		requestsTold: loadRequestsTold(dir, log)}
	b, _ := json.Marshal(map[string]string{"number": daveNum, "uuid": daveACI})
	g := groupEntry{RequestingMembers: []json.RawMessage{b}}
	s.joinRequests(context.Background(), "group", g, 1000)
	if n := len(h.events()); n != 0 {
		t.Fatalf("%d events emitted by a host failing", n)
	}

	// The next start.
	h.mu.Lock()
	h.failing = false
	h.mu.Unlock()
	s.requestsTold = loadRequestsTold(dir, log)
	s.joinRequests(context.Background(), "group", g, 1000)
	evs := h.events()
	if len(evs) != 1 || !strings.Contains(evs[0].GetMessage().GetText(), "asks to join") {
		t.Fatalf("after the restart: %v, want the request told", evs)
	}
	s.joinRequests(context.Background(), "group", g, 0)
	if n := len(h.events()); n != 1 {
		t.Fatalf("%d events: the request confirmed was told again", n)
	}
}
