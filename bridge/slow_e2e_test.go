package bridge_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestSlowDownloadsDoNotStall: a user sends 64 files, to 64 contacts,
// from a server that trickles them out; while they download, another
// user's round trip with the echo contact, and the same user's in another
// chat, stay fast, and the component link stays up. (Downloads once ran
// on the shared inbound shards: 64 conversations cover the 16 shards, and
// every other user waited for them.)
func TestSlowDownloadsDoNotStall(t *testing.T) {
	release := make(chan struct{})
	var started, finished atomic.Int32
	trickle := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started.Add(1)
		w.Header().Set("Content-Type", "text/plain")
		fl := w.(http.Flusher)
		for {
			select {
			case <-release:
				fmt.Fprintln(w, "the end")
				finished.Add(1)
				return
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
				w.Write([]byte("."))
				fl.Flush()
			}
		}
	}))
	defer trickle.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	s := newStack(t, stackOptions{extra: "\n[media]\nfetch_allow = [\"127.0.0.0/8\"]\n"})
	alice := registered(t, s, "alice")
	carol := registered(t, s, "carol")
	const files = 64
	for i := range files {
		u := fmt.Sprintf("%s/f%d.txt", trickle.URL, i)
		raw(t, alice, fmt.Sprintf(`<message type='chat' id='file%d' to='file%d@%s'><body>%s</body><x xmlns='jabber:x:oob'><url>%s</url></x></message>`, i, i, domain, u, u))
	}
	deadline := time.Now().Add(timeout)
	for started.Load() < 8 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d downloads started", started.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t0 := time.Now()
	echoOK(t, carol, "not stalled", 5*time.Second)
	echoOK(t, alice, "another chat", 5*time.Second)
	if finished.Load() != 0 {
		t.Fatal("the downloads ended before the round trips: nothing was tested")
	}
	t.Logf("round trips took %v with %d downloads under way", time.Since(t0), started.Load())
	close(release)
	// Every file reaches the network, none fails.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	seen := map[string]bool{}
	for len(seen) < files {
		st, err := alice.Next(ctx, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && strings.HasPrefix(s.From, "file") && (s.Body != "" || s.Type == "error")
		})
		if err != nil {
			t.Fatalf("%d of %d files came back: %v", len(seen), files, err)
		}
		if st.Type == "error" {
			t.Fatalf("file refused: %s", st.XML)
		}
		seen[bareJID(st.From)] = true
	}
	if n := s.logs.Count("component link up"); n != 1 {
		t.Errorf("the component link came up %d times, want 1", n)
	}
}
