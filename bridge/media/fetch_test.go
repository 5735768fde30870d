package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func newTestServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

var pngHead = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

func TestFetch(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slot/hello world.txt":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, "hello")
		case "/slot/photo.png":
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(pngHead)
		case "/slot/noext":
			w.Header()["Content-Type"] = nil // no type, and none sniffed by net/http
			w.Write(pngHead)
		case "/dir/":
			w.Header().Set("Content-Disposition", `attachment; filename="../../etc/passwd"`)
			io.WriteString(w, "root")
		default:
			http.NotFound(w, r)
		}
	})
	dir := filepath.Join(t.TempDir(), "in")
	ctx := testCtx(t, 10*time.Second)
	for _, tc := range []struct {
		path, name, mime string
		size             int64
	}{
		{"/slot/hello%20world.txt", "hello world.txt", "text/plain; charset=utf-8", 5},
		{"/slot/photo.png", "photo.png", "image/png", int64(len(pngHead))},
		{"/slot/noext", "noext", "image/png", int64(len(pngHead))},
		{"/dir/", "passwd", "text/plain; charset=utf-8", 4},
	} {
		f, err := Fetch(ctx, loClient, ts.URL+tc.path, dir, 100)
		if err != nil {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		if f.Name != tc.name || f.MIME != tc.mime || f.Size != tc.size || filepath.Dir(f.Path) != dir {
			t.Errorf("%s: %+v, want name %q, type %q, size %d in %s", tc.path, f, tc.name, tc.mime, tc.size, dir)
		}
		if fi, err := os.Stat(f.Path); err != nil || fi.Size() != tc.size || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: file %v, %v", tc.path, fi, err)
		}
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("dir %v, %v", fi, err)
	}
	_, err := Fetch(ctx, loClient, ts.URL+"/missing.txt", dir, 100)
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != 404 || Fallback(err) {
		t.Errorf("404: %v", err)
	}
}

func TestFetchNameSanitized(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "x") })
	dir := t.TempDir()
	for path, want := range map[string]string{
		"/a/..%2F..%2Fetc%2Fpasswd": "passwd",
		"/a/..%5C..%5Cboot.ini":     "boot.ini",
		"/a/%2E%2E":                 "file",
		"/a/.hidden":                "hidden",
		"/a/ctl%0A%00name%E2%80%AE": "ctlname",
		"/a/%FF%FEbad":              "bad",
		"/" + strings.Repeat("%C3%A9", 150) + ".jpeg": strings.Repeat("é", 97) + ".jpeg",
	} {
		f, err := Fetch(testCtx(t, 5*time.Second), loClient, ts.URL+path, dir, 10)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if f.Name != want || filepath.Dir(f.Path) != dir {
			t.Errorf("%s: name %q in %s, want %q in %s", path, f.Name, filepath.Dir(f.Path), want, dir)
		}
	}
	if got := SafeName(strings.Repeat("é", 150) + ".jpeg"); len(got) > maxNameBytes {
		t.Errorf("SafeName kept %d bytes", len(got))
	}
}

func TestFetchTooLarge(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		io.Copy(w, genReader(7, int64(n)))
	})
	dir := t.TempDir()
	ctx := testCtx(t, 20*time.Second)
	if f, err := Fetch(ctx, loClient, ts.URL+"/f?n=1000", dir, 1000); err != nil || f.Size != 1000 {
		t.Fatalf("at the limit: %+v, %v", f, err)
	}
	before := entries(t, dir)
	for _, q := range []string{"n=1001", "n=1001&chunked=1", "n=50000000&chunked=1"} {
		start := time.Now()
		_, err := Fetch(ctx, loClient, ts.URL+"/f?"+q, dir, 1000)
		var tl *TooLargeError
		if !errors.Is(err, ErrTooLarge) || !errors.As(err, &tl) || tl.Limit != 1000 {
			t.Errorf("%s: %v, want a *TooLargeError", q, err)
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("%s: took %s: the body was read past the limit", q, time.Since(start))
		}
	}
	if got := entries(t, dir); len(got) != len(before) {
		t.Errorf("files left: %v, before %v", got, before)
	}
}

func TestFetchTimeout(t *testing.T) {
	release := make(chan struct{})
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stall-body" {
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	dir := t.TempDir()
	for _, p := range []string{"/stall-headers", "/stall-body"} {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		start := time.Now()
		_, err := Fetch(ctx, loClient, ts.URL+p, dir, 1000)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v, want a deadline error", p, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: returned after %s", p, d)
		}
	}
	// The client's own timeout counts too.
	_, err := Fetch(context.Background(), &http.Client{Timeout: 200 * time.Millisecond}, ts.URL+"/stall-body", dir, 1000)
	if err == nil {
		t.Error("client timeout: no error")
	}
	if got := entries(t, dir); len(got) != 0 {
		t.Errorf("files left: %v", got)
	}
}

func TestFetchRedirects(t *testing.T) {
	var ts *httptest.Server
	ts = newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/hop/") {
			n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
			if n == 0 {
				io.WriteString(w, "arrived")
				return
			}
			http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
			return
		}
		if r.URL.Path == "/away" {
			http.Redirect(w, r, "http://example.com/file.txt", http.StatusFound)
			return
		}
		if r.URL.Path == "/ftp" {
			http.Redirect(w, r, "ftp://127.0.0.1/file.txt", http.StatusFound)
		}
	})
	dir := t.TempDir()
	ctx := testCtx(t, 10*time.Second)
	f, err := Fetch(ctx, loClient, ts.URL+fmt.Sprintf("/hop/%d", MaxRedirects), dir, 100)
	if err != nil || f.Size != 7 {
		t.Errorf("%d redirects: %+v, %v", MaxRedirects, f, err)
	}
	if f.Name != strconv.Itoa(MaxRedirects) {
		t.Errorf("name %q: want the first URL's", f.Name)
	}
	for _, p := range []string{fmt.Sprintf("/hop/%d", MaxRedirects+1), "/away", "/ftp"} {
		if _, err := Fetch(ctx, loClient, ts.URL+p, dir, 100); !errors.Is(err, ErrBadURL) {
			t.Errorf("%s: %v, want ErrBadURL", p, err)
		}
	}
	for _, u := range []string{"ftp://127.0.0.1/x", "http://example.com/x", "file:///etc/passwd", "https:///x", "https://u:p@example.com/x", "::"} {
		if _, err := Fetch(ctx, loClient, u, dir, 100); !errors.Is(err, ErrBadURL) {
			t.Errorf("%s: %v, want ErrBadURL", u, err)
		}
	}
	if got := entries(t, dir); len(got) != 1 {
		t.Errorf("files: %v", got)
	}
}

func TestFetchHTTPS(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secure") }))
	defer ts.Close()
	f, err := Fetch(testCtx(t, 5*time.Second), ts.Client(), ts.URL+"/s.txt", t.TempDir(), 100)
	if err != nil || f.Size != 6 || f.Name != "s.txt" {
		t.Errorf("https: %+v, %v", f, err)
	}
}

// TestErrorsHideURLQuery: a signed URL's query (an S3-style signature, a
// mod_http_upload_external ?v=) never shows in an error, which is logged
// and may be told to the user: not when the connection fails, is
// refused by the guard, or the upload's PUT cannot connect.
func TestErrorsHideURLQuery(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String() // nothing listens there once closed
	ln.Close()
	const secret = "SIGNATURE-0123"
	for name, c := range map[string]*http.Client{"refused by the guard": nil, "connection refused": loClient} {
		_, err := Fetch(ctx, c, "http://"+closed+"/f.jpg?sig="+secret, t.TempDir(), 100)
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("fetch, %s: %v", name, err)
		}
	}
	link := uploadService(func() string {
		return fmt.Sprintf(`<slot xmlns='urn:xmpp:http:upload:0'><put url='http://%s/put/1?v=%s'/><get url='http://%s/get/1'/></slot>`, closed, secret, closed)
	})
	up := NewUploader(link, "echo.example.org", FixedDomain("example.org"), nil)
	_, err = up.Upload(ctx, "a.txt", "text/plain", 1, strings.NewReader("a"))
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("upload: %v", err)
	}
}

// TestFetchStalled: a body that stops coming (a slow-loris server, or
// one that hangs mid-file) ends the fetch with ErrStalled once nothing
// came for the stall timeout, not after the whole fetch timeout (10
// minutes, while the fetch holds its room in the incoming folder). A
// slow reader's own pauses between reads do not count.
func TestFetchStalled(t *testing.T) {
	defer func(d time.Duration) { fetchStallTimeout = d }(fetchStallTimeout)
	fetchStallTimeout = 200 * time.Millisecond
	release := make(chan struct{})
	defer close(release)
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		if r.URL.Path == "/hang-early" {
			w.Write(make([]byte, 10)) // less than Open peeks at
		} else {
			w.Write(make([]byte, 1000))
		}
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	// The deadline only bounds the test: without the stall rule the
	// fetch ended with it (or DefaultFetchTimeout's).
	ctx := testCtx(t, 20*time.Second)
	for _, p := range []string{"/hang", "/hang-early"} {
		_, err := Fetch(ctx, loClient, ts.URL+p, t.TempDir(), 1<<20)
		if !errors.Is(err, ErrStalled) {
			t.Errorf("%s: %v, want ErrStalled", p, err)
		}
	}
	// A reader that pauses longer than the timeout between reads of a
	// body that is all there: no stall.
	full := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, 200<<10))
	})
	d, err := Open(context.Background(), loClient, full.URL+"/f", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	buf := make([]byte, 64<<10)
	var n int64
	for {
		k, err := d.Read(buf)
		n += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("slow reader: %v after %d bytes", err, n)
		}
		time.Sleep(2 * fetchStallTimeout)
	}
	if n != 200<<10 {
		t.Errorf("slow reader got %d bytes", n)
	}
}
