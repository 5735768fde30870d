package bridge_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
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

// TestSlowUploadDoesNotStall: the network sends alice a file, and its
// upload to her server stalls (the server takes the PUT at a trickle:
// here a proxy in front of Prosody's HTTP holds it); meanwhile carol's
// messages, and alice's in another chat, come and go at once. (Uploads
// once ran in the delivery loop every user shares: one slow upload held
// every user's messages for up to its 10-minute timeout.)
func TestSlowUploadDoesNotStall(t *testing.T) {
	release := make(chan struct{})
	var stalled atomic.Int32
	var target atomic.Pointer[url.URL]
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := target.Load()
		if u == nil {
			http.Error(w, "not ready", http.StatusBadGateway)
			return
		}
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "stall") {
			stalled.Add(1)
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		httputil.NewSingleHostReverseProxy(u).ServeHTTP(w, r)
	}))
	defer proxy.Close()
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "a file the network sends back")
	}))
	defer files.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	s := newStack(t, stackOptions{httpUpload: true,
		// The upload service's slots point at the proxy.
		serverConfig: fmt.Sprintf("http_external_url = %q", proxy.URL+"/"),
		extra:        "\n[media]\nfetch_allow = [\"127.0.0.0/8\"]\n"})
	target.Store(&url.URL{Scheme: "http", Host: s.srv.HTTPAddr()})
	alice := registered(t, s, "alice")
	carol := registered(t, s, "carol")
	// Alice sends bob a file; the echo contact sends it back, and the
	// gateway's upload of it to alice's server stalls.
	u := files.URL + "/stall.txt"
	raw(t, alice, `<message type='chat' id='f1' to='bob@`+domain+`'><body>`+u+`</body><x xmlns='jabber:x:oob'><url>`+u+`</url></x></message>`)
	for deadline := time.Now().Add(timeout); stalled.Load() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the upload of the network's file never started")
		}
	}
	t0 := time.Now()
	echoOK(t, carol, "not stalled", 5*time.Second)
	echoOK(t, carol, "still not stalled", 5*time.Second)
	sendChat(t, alice, "other@"+domain, "another chat")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := alice.Next(ctx, func(s xmpptest.Stanza) bool {
		return s.Name == "message" && bareJID(s.From) == "other@"+domain && s.Body == "another chat"
	}); err != nil {
		t.Fatalf("alice's message in another chat waited for her upload: %v", err)
	}
	t.Logf("round trips took %v with an upload stalled", time.Since(t0))
	close(release)
	// The file then reaches alice, uploaded.
	m := next(t, alice, "file", has("jabber:x:oob"))
	if !strings.Contains(m.XML, proxy.URL) || !strings.Contains(m.XML, "stall.txt") {
		t.Errorf("file message: %s", m.XML)
	}
}
