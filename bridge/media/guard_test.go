package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

// loClient fetches from loopback, where the tests' servers are.
var loClient = (&Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}).Client()

func TestGuardAllowed(t *testing.T) {
	var g Guard
	for _, s := range []string{"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "8.8.8.8", "64:ff9b::808:808"} {
		if !g.Allowed(netip.MustParseAddr(s)) {
			t.Errorf("%s refused", s)
		}
	}
	for _, s := range []string{"127.0.0.1", "127.1.2.3", "::1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"169.254.169.254", "100.64.0.1", "100.127.255.255", "0.0.0.0", "0.1.2.3", "224.0.0.1", "255.255.255.255",
		"fc00::1", "fd00:ec2::254", "fe80::1", "ff02::1", "::", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::7f00:1"} {
		if g.Allowed(netip.MustParseAddr(s)) {
			t.Errorf("%s allowed", s)
		}
	}
	g.Allow = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	if !g.Allowed(netip.MustParseAddr("10.1.2.3")) || g.Allowed(netip.MustParseAddr("192.168.1.1")) {
		t.Error("fetch_allow 10.0.0.0/8 not applied exactly")
	}
}

// TestFetchBlocked: a loopback URL, a name that resolves to loopback and a
// redirect to loopback are all refused with ErrBlocked, and nothing of
// what listens there (its banner) shows in the error.
func TestFetchBlocked(t *testing.T) {
	secret := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "internal-admin/1.0")
		io.WriteString(w, "internal secret")
	})
	su, _ := url.Parse(secret.URL)
	var hits int
	front := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits++
		http.Redirect(w, r, secret.URL+"/admin", http.StatusFound)
	})
	fu, _ := url.Parse(front.URL)
	dir := t.TempDir()
	ctx := testCtx(t, 10*time.Second)
	for _, u := range []string{secret.URL + "/x", "http://localhost:" + su.Port() + "/x", "http://[::1]:" + su.Port() + "/x"} {
		_, err := Fetch(ctx, nil, u, dir, 100)
		if !errors.Is(err, ErrBlocked) {
			t.Errorf("%s: %v, want ErrBlocked", u, err)
		}
		if err != nil && strings.Contains(err.Error(), "internal") {
			t.Errorf("%s: the error shows the service: %v", u, err)
		}
	}
	// The front is trusted (as the upload service would be); where it
	// redirects is not.
	g := &Guard{Trusted: func(_ context.Context, u *url.URL) bool { return HostPort(u) == HostPort(fu) }}
	if _, err := Fetch(ctx, g.Client(), front.URL+"/f", dir, 100); !errors.Is(err, ErrBlocked) || hits != 1 {
		t.Errorf("redirect to loopback: %v (front hit %d times), want ErrBlocked", err, hits)
	}
	if got := entries(t, dir); len(got) != 0 {
		t.Errorf("files left: %v", got)
	}
}

// TestFetchFromUploadService: the upload service's own URLs are fetched
// even on loopback; its host is learnt from a slot; other ports of the
// same host stay refused.
func TestFetchFromUploadService(t *testing.T) {
	files := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "user's file") })
	other := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "other") })
	slots := 0
	link := uploadService(func() string {
		slots++
		return fmt.Sprintf(`<slot xmlns='urn:xmpp:http:upload:0'><put url='%s/put/1'/><get url='%s/get/1'/></slot>`, files.URL, files.URL)
	})
	up := NewUploader(link, "echo.example.org", FixedDomain("example.org"), nil)
	g := &Guard{Trusted: up.ServesFrom}
	ctx := testCtx(t, 10*time.Second)
	dir := t.TempDir()
	f, err := Fetch(ctx, g.Client(), files.URL+"/share/abc/photo.jpg", dir, 100)
	if err != nil || f.Size != 11 {
		t.Fatalf("the upload service's URL: %+v, %v", f, err)
	}
	if _, err := Fetch(ctx, g.Client(), files.URL+"/share/def/again.jpg", dir, 100); err != nil {
		t.Fatal(err)
	}
	if slots != 1 {
		t.Errorf("%d slots asked to learn the service's host, want 1", slots)
	}
	if _, err := Fetch(ctx, g.Client(), other.URL+"/x", dir, 100); !errors.Is(err, ErrBlocked) {
		t.Errorf("another port of the same host: %v, want ErrBlocked", err)
	}
}

// TestFetchBlockedZone: an IPv6 address with a zone (fe80::1%eth0,
// ::1%lo) is refused like the same address without one. netip's
// Prefix.Contains is false for any address with a zone, so a zoned
// loopback in the user's URL would slip past every blocked range.
func TestFetchBlockedZone(t *testing.T) {
	var g Guard
	for _, s := range []string{"::1%lo", "fe80::1%eth0", "fd00::1%1", "ff02::1%lo"} {
		if g.Allowed(netip.MustParseAddr(s)) {
			t.Errorf("%s allowed", s)
		}
	}
	// End to end: a TLS server on [::1]; the URL names it with a zone.
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	hits := 0
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		io.WriteString(w, "internal secret")
	}))
	ts.Listener.Close()
	ts.Listener = ln
	ts.StartTLS()
	t.Cleanup(ts.Close)
	port := ln.Addr().(*net.TCPAddr).Port
	// No certificate check, so that only the guard can refuse.
	tr := ts.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.InsecureSkipVerify = true
	tr.DialContext = g.dial
	c := &http.Client{Transport: tr}
	u := fmt.Sprintf("https://[::1%%25lo]:%d/x", port)
	dir := t.TempDir()
	_, err = Fetch(testCtx(t, 10*time.Second), c, u, dir, 100)
	if !errors.Is(err, ErrBlocked) || hits != 0 {
		t.Errorf("%s: %v (server hit %d times), want ErrBlocked", u, err, hits)
	}
	if got := entries(t, dir); len(got) != 0 {
		t.Errorf("files left: %v", got)
	}
}
