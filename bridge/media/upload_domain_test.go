package media

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/bridge/xmpplink"
	"passerelle.im/passerelle/internal/prosodytest"
)

// TestUploadDeepComponent: a component two labels under its server's
// domain (wa.im.localhost on a server of localhost) finds the server's
// upload service once the server's domain is known, though it was
// looked up, and not found, on the guess (im.localhost) before. The
// uploader was given the guess at the start, for good: every file went
// without the user's server, and a "no service" answer was believed for
// a minute after the domain was learned.
func TestUploadDeepComponent(t *testing.T) {
	const deep = "wa.im.localhost"
	srv := prosodytest.Start(t, prosodytest.Options{
		HTTPUpload: true,
		Components: []prosodytest.Component{{Domain: deep, Secret: secret}},
	})
	link := xmpplink.New(xmpplink.Config{Addr: srv.ComponentAddr(), Domain: deep, Secret: secret, Handle: func(*wire.Stanza) {}})
	ctx := testCtx(t, 60*time.Second)
	done := make(chan struct{})
	lctx, cancel := context.WithCancel(ctx)
	go func() { link.Run(lctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	if err := link.WaitUp(ctx); err != nil {
		t.Fatal(err)
	}
	u := NewUploader(link, deep, link.ServerDomain, nil)
	if _, err := u.Discover(ctx); err == nil {
		t.Fatalf("found an upload service on the guessed domain %s", link.ServerDomain())
	} else {
		t.Logf("on the guess: %v (no service: %v)", err, errors.Is(err, ErrNoService))
	}
	// The server shows its domain (as its XEP-0356 advertisement does).
	link.SetServerDomain(srv.Domain())
	svc, err := u.Discover(ctx)
	if err != nil || svc.JID != srv.UploadDomain() {
		t.Fatalf("Discover once the server's domain is known = %+v, %v; want %s", svc, err, srv.UploadDomain())
	}
	if _, err := u.Upload(ctx, "notes.txt", "text/plain", 5, strings.NewReader("hello")); err != nil {
		t.Fatalf("upload: %v", err)
	}
}
