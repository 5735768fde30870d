package media

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestUploadServiceOtherPaths: of the upload service's host, trusted on
// a private address, only the paths its files are served under are
// fetched; the server's other pages on the same port (Prosody serves
// its metrics, BOSH, its admin modules there) are refused as any
// private address is, even on a connection a file fetch left open.
// Before, the whole host:port was trusted: a user who sent the URL of
// the server's metrics as a file had the gateway fetch them and send them
// to the network.
func TestUploadServiceOtherPaths(t *testing.T) {
	var hits []string
	files := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits = append(hits, r.URL.Path)
		io.WriteString(w, "user's file")
	})
	link := uploadService(func() string {
		return fmt.Sprintf(`<slot xmlns='urn:xmpp:http:upload:0'><put url='%s/file_share/u1/probe'/><get url='%s/file_share/u1/probe'/></slot>`, files.URL, files.URL)
	})
	up := NewUploader(link, "echo.example.org", FixedDomain("example.org"), nil)
	g := &Guard{Trusted: up.ServesFrom}
	c := g.Client()
	ctx := testCtx(t, 10*time.Second)
	dir := t.TempDir()
	if _, err := Fetch(ctx, c, files.URL+"/file_share/u2/photo.jpg", dir, 100); err != nil {
		t.Fatalf("the upload service's file: %v", err)
	}
	for _, p := range []string{"/metrics", "/", "/file_share", "/file_share/../metrics", "/file_share/%2e%2e/metrics", "/file_sharex/a/b"} {
		if _, err := Fetch(ctx, c, files.URL+p, dir, 100); !errors.Is(err, ErrBlocked) {
			t.Errorf("%s: %v, want ErrBlocked", p, err)
		}
	}
	if len(hits) != 1 {
		t.Errorf("the server was asked for %v, want only the file", hits)
	}
}
