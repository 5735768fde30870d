package bridge_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestServerRestartDuringBacklog: Prosody stops (SIGTERM) while the
// gateway delivers a backlog of 600 network messages and starts again on
// the same ports and data; the user then gets every message: none lost,
// and no message twice under different ids. alice is unavailable during
// the backlog, so the server keeps what it received in offline storage,
// which outlives the restart: the count is exact.
func TestServerRestartDuringBacklog(t *testing.T) {
	s := newStack(t, stackOptions{serverModules: []string{"offline"}})
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	if err := alice.SendRaw(ctxT(t), "<presence type='unavailable'/>"); err != nil {
		t.Fatal(err)
	}
	const rounds, per = 12, 50 // the echo network sends at most 50 a command
	var cmds []string
	for range rounds {
		cmds = append(cmds, sendChat(t, alice, "bob@"+domain, "backlog 50"))
	}
	// Stop the server once every command reached the gateway (a command
	// still in the server when it stops is the client's to send again,
	// and the backlog would be short) and part of the backlog is stored
	// there.
	offline := filepath.Join(s.srv.Dir(), "data", "localhost", "offline", "alice.list")
	deadline := time.Now().Add(timeout)
	for _, id := range cmds {
		s.logs.waitLog(t, "to=bob@"+domain+" id="+id+"\n", time.Until(deadline))
	}
	for stored(offline) < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the backlog never reached the server's offline storage (%d stored)", stored(offline))
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := s.srv.Stop(); err != nil {
		t.Fatal(err)
	}
	atStop := stored(offline)
	t.Logf("%d of %d messages in offline storage when the server stopped", atStop, rounds*per)
	if atStop >= rounds*per {
		t.Fatalf("the whole backlog was stored before the server stopped: the test proves nothing")
	}
	time.Sleep(300 * time.Millisecond)
	if err := s.srv.Start(); err != nil {
		t.Fatal(err)
	}
	// Logging in with presence brings the offline messages, then the rest
	// live as the gateway delivers them.
	alice = s.login("alice")
	ids := map[string]bool{}
	texts := map[string]int{}
	deadline = time.Now().Add(30 * time.Second)
	for len(ids) < rounds*per && time.Now().Before(deadline) {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		st, err := alice.Next(ctx, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && bareJID(s.From) == "bob@"+domain && strings.HasPrefix(s.Body, "backlog ")
		})
		cancel()
		if err != nil {
			break
		}
		if !ids[st.ID] {
			ids[st.ID] = true
			texts[st.Body]++
		}
	}
	// A little longer: a message delivered again under a new id would show.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for {
		st, err := alice.Next(ctx, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && bareJID(s.From) == "bob@"+domain && strings.HasPrefix(s.Body, "backlog ")
		})
		if err != nil {
			break
		}
		if !ids[st.ID] {
			ids[st.ID] = true
			texts[st.Body]++
		}
	}
	if len(ids) != rounds*per {
		t.Fatalf("%d distinct messages of the %d-message backlog reached alice after the restart (want all, each once)", len(ids), rounds*per)
	}
	for i := 1; i <= per; i++ {
		if n := texts["backlog "+strconv.Itoa(i)+" of 50"]; n != rounds {
			t.Errorf("%q arrived under %d distinct ids, want %d", "backlog "+strconv.Itoa(i)+" of 50", n, rounds)
		}
	}
}

// stored counts the messages in a Prosody offline store file (its Lua
// form holds each body as a quoted string; 0 when there is none yet).
func stored(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), `"backlog `)
}
