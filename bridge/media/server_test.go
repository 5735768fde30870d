package media

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func newServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = filepath.Join(t.TempDir(), "media")
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "https://xmpp.example.org/files/"
	}
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// get asks s's handler for a file URL it returned.
func get(t *testing.T, s *Server, method, fileURL string) *http.Response {
	t.Helper()
	u, err := url.Parse(fileURL)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(method, u.RequestURI(), nil))
	return rec.Result()
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestServerPutGet(t *testing.T) {
	s := newServer(t, Config{})
	if fi, err := os.Stat(s.cfg.Dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("dir: %v, %v", fi, err)
	}
	ctx := testCtx(t, 10*time.Second)
	u1, n, err := s.Put(ctx, "Mon été.txt", "text/plain; charset=utf-8", strings.NewReader("bonjour"))
	if err != nil {
		t.Fatal(err)
	}
	if n != 7 {
		t.Errorf("size = %d", n)
	}
	prefix := "https://xmpp.example.org/files/"
	if !strings.HasPrefix(u1, prefix) || !strings.HasSuffix(u1, "/Mon%20%C3%A9t%C3%A9.txt") {
		t.Errorf("URL = %s", u1)
	}
	token := strings.Split(strings.TrimPrefix(u1, prefix), "/")[0]
	if !validToken(token) {
		t.Errorf("token %q", token)
	}
	resp := get(t, s, "GET", u1)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "bonjour" {
		t.Fatalf("GET: %s %q", resp.Status, body)
	}
	h := resp.Header
	if h.Get("Content-Type") != "text/plain; charset=utf-8" || h.Get("Content-Length") != "7" ||
		h.Get("Content-Disposition") != `inline; filename*=utf-8''Mon%20%C3%A9t%C3%A9.txt` || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers = %v", h)
	}
	if resp := get(t, s, "HEAD", u1); resp.StatusCode != 200 || resp.Header.Get("Content-Length") != "7" {
		t.Errorf("HEAD: %s %v", resp.Status, resp.Header)
	}

	// Not shown inline, type guessed from the name, distinct token.
	u2, _, err := s.Put(ctx, "report.pdf", "", strings.NewReader("%PDF-1.4"))
	if err != nil {
		t.Fatal(err)
	}
	resp = get(t, s, "GET", u2)
	if resp.Header.Get("Content-Type") != "application/pdf" || resp.Header.Get("Content-Disposition") != `attachment; filename=report.pdf` {
		t.Errorf("headers = %v", resp.Header)
	}
	// Sniffed, and HTML is never served inline.
	u3, _, err := s.Put(ctx, "page", "", strings.NewReader("<html><script>alert(1)</script>"))
	if err != nil {
		t.Fatal(err)
	}
	resp = get(t, s, "GET", u3)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("headers = %v", resp.Header)
	}
	tokens := map[string]bool{}
	for _, u := range []string{u1, u2, u3} {
		tokens[strings.Split(strings.TrimPrefix(u, prefix), "/")[0]] = true
	}
	if len(tokens) != 3 {
		t.Errorf("tokens not distinct: %v", tokens)
	}

	// The name in the URL does not matter, the token does.
	if resp := get(t, s, "GET", prefix+token); resp.StatusCode != 200 {
		t.Errorf("GET without the name: %s", resp.Status)
	}
	// Unknown, malformed, traversal: 404.
	for _, p := range []string{
		prefix + strings.Repeat("A", tokenLen) + "/x.txt",
		prefix + strings.ToLower(token) + "/x.txt",
		prefix + token[:tokenLen-1],
		prefix,
		prefix + "..%2F..%2Fetc%2Fpasswd",
		prefix + ".tmp-123/data",
		"https://xmpp.example.org/" + token + "x/Mon.txt",
	} {
		if resp := get(t, s, "GET", p); resp.StatusCode != 404 {
			t.Errorf("GET %s: %s, want 404", p, resp.Status)
		}
	}
	// Only GET and HEAD.
	if resp := get(t, s, "DELETE", u1); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: %s", resp.Status)
	}
	// A proxy that strips the public path works too.
	if resp := get(t, s, "GET", "http://127.0.0.1/"+token+"/x"); resp.StatusCode != 200 {
		t.Errorf("GET with the prefix stripped: %s", resp.Status)
	}
}

func TestServerTokenStrength(t *testing.T) {
	// crypto/rand.Text promises at least 128 bits: 26 base32 characters.
	if tokenLen*5 < 128 {
		t.Fatalf("token of %d bits", tokenLen*5)
	}
	s := newServer(t, Config{})
	seen := map[string]bool{}
	for i := range 50 {
		u, _, err := s.Put(context.Background(), "f", "", strings.NewReader(strconv.Itoa(i)))
		if err != nil {
			t.Fatal(err)
		}
		tok := strings.Split(strings.TrimPrefix(u, "https://xmpp.example.org/files/"), "/")[0]
		if !validToken(tok) || seen[tok] {
			t.Fatalf("token %q: valid %v, seen %v", tok, validToken(tok), seen[tok])
		}
		seen[tok] = true
	}
}

func TestServerExpiry(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "media")
	s := newServer(t, Config{Dir: dir, Expiry: time.Hour})
	now := time.Now()
	s.now = func() time.Time { return now }
	old, _, err := s.Put(context.Background(), "old.txt", "", strings.NewReader("old"))
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(50 * time.Minute)
	fresh, _, err := s.Put(context.Background(), "fresh.txt", "", strings.NewReader("fresh"))
	if err != nil {
		t.Fatal(err)
	}
	// A Put interrupted long ago (a crash) and one under way.
	if err := os.Mkdir(filepath.Join(dir, tmpPrefix+"crashed"), 0o700); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-2 * time.Hour)
	os.Chtimes(filepath.Join(dir, tmpPrefix+"crashed"), past, past)
	if err := os.Mkdir(filepath.Join(dir, tmpPrefix+"now"), 0o700); err != nil {
		t.Fatal(err)
	}

	now = now.Add(20 * time.Minute) // old is 70 minutes old, fresh 20
	if resp := get(t, s, "GET", old); resp.StatusCode != 404 {
		t.Errorf("expired file: %s, want 404", resp.Status)
	}
	if resp := get(t, s, "GET", fresh); resp.StatusCode != 200 {
		t.Errorf("fresh file: %s", resp.Status)
	}
	if len(entries(t, dir)) != 4 {
		t.Errorf("entries before pruning: %v", entries(t, dir))
	}
	n, err := s.Prune()
	if err != nil || n != 1 {
		t.Errorf("Prune = %d, %v; want 1", n, err)
	}
	got := entries(t, dir)
	if len(got) != 2 || !strings.Contains(fresh, "/"+got[1]+"/") && !strings.Contains(fresh, "/"+got[0]+"/") {
		t.Errorf("after pruning: %v (fresh %s)", got, fresh)
	}

	// On start: a server made later prunes what expired meanwhile.
	s.now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	if _, _, err := s.Put(context.Background(), "older.txt", "", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := NewServer(Config{Dir: dir, PublicURL: "https://x.example", Expiry: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if got := entries(t, dir); len(got) != 2 {
		t.Errorf("after a new start: %v, want the fresh file and the Put under way", got)
	}
}

func TestServerTooLarge(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "media")
	s := newServer(t, Config{Dir: dir, MaxBytes: 1000})
	if _, n, err := s.Put(context.Background(), "ok", "", genReader(3, 1000)); err != nil || n != 1000 {
		t.Fatalf("Put of exactly the limit: %d, %v", n, err)
	}
	_, _, err := s.Put(context.Background(), "big", "", genReader(3, 1001))
	var tl *TooLargeError
	if !errors.Is(err, ErrTooLarge) || !errors.As(err, &tl) || tl.Limit != 1000 {
		t.Fatalf("Put over the limit: %v", err)
	}
	// A large stream is cut at the limit, not read to its end.
	r := &countReader{r: genReader(4, 1<<30)}
	if _, _, err := s.Put(context.Background(), "huge", "", r); !errors.Is(err, ErrTooLarge) || r.n > 1<<20 {
		t.Fatalf("Put of 1 GiB: %v after reading %d bytes", err, r.n)
	}
	// A Put whose context ends.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := s.Put(ctx, "c", "", genReader(5, 10)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a cancelled context: %v", err)
	}
	if got := entries(t, dir); len(got) != 1 {
		t.Errorf("entries = %v, want only the first file: nothing partial left", got)
	}
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestServerConfig(t *testing.T) {
	for _, cfg := range []Config{
		{PublicURL: "https://x.example"},
		{Dir: t.TempDir(), PublicURL: "ftp://x.example"},
		{Dir: t.TempDir(), PublicURL: "x.example/files"},
		{Dir: t.TempDir(), PublicURL: "https://x.example/?a=b"},
		{Dir: t.TempDir()},
	} {
		if _, err := NewServer(cfg); err == nil {
			t.Errorf("NewServer(%+v) accepted", cfg)
		}
	}
	s := newServer(t, Config{})
	if s.cfg.MaxBytes != DefaultMaxBytes || s.cfg.Expiry != DefaultExpiry {
		t.Errorf("defaults: %+v", s.cfg)
	}
	if s.pruneEvery() != time.Hour {
		t.Errorf("prune every %s", s.pruneEvery())
	}
	if err := s.Run(context.Background()); err == nil {
		t.Error("Run without a listen address")
	}
}

func TestServerServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t, Config{PublicURL: "http://" + ln.Addr().String() + "/media"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	const size = 3 << 20
	u, _, err := s.Put(ctx, "big.bin", "application/octet-stream", genReader(6, size))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	got, n := sum(resp.Body)
	resp.Body.Close()
	want, _ := sum(genReader(6, size))
	if resp.StatusCode != 200 || n != size || got != want || resp.ContentLength != size {
		t.Errorf("GET %s: %s, %d bytes, same %v", u, resp.Status, n, got == want)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	if _, err := http.Get(u); err == nil {
		t.Error("still serving after the context ended")
	}

	// Run: listens on its own.
	s2 := newServer(t, Config{Listen: "127.0.0.1:0"})
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel2() }()
	if err := s2.Run(ctx2); err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestServerListenBusy: a listen address that cannot be bound (a port in
// use) fails NewServer, so that the gateway stops at start with the
// reason, instead of logging "media endpoint listening" and running on
// without its endpoint.
func TestServerListenBusy(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	s, err := NewServer(Config{Listen: busy.Addr().String(), Dir: filepath.Join(t.TempDir(), "media"), PublicURL: "https://x.example"})
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("NewServer on a port in use: %v, want its error", err)
	}
	if s != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.Run(ctx)
	}
}
