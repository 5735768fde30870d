package media

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/bridge/xmpplink"
	"passerelle.im/passerelle/internal/prosodytest"
)

const (
	component = "echo.localhost"
	secret    = "s3cret"
)

func testCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// startProsody runs a real Prosody with the component and, when upload is
// set, http_file_share on upload.localhost; extra is raw global Lua.
func startProsody(t *testing.T, upload bool, extra string) *prosodytest.Server {
	t.Helper()
	return prosodytest.Start(t, prosodytest.Options{
		HTTPUpload:  upload,
		Components:  []prosodytest.Component{{Domain: component, Secret: secret}},
		ExtraConfig: extra,
	})
}

// connect runs the gateway's own component link to srv until the test ends.
func connect(t *testing.T, srv *prosodytest.Server) *xmpplink.Link {
	t.Helper()
	link := xmpplink.New(xmpplink.Config{
		Addr:   srv.ComponentAddr(),
		Domain: component,
		Secret: secret,
		Handle: func(*wire.Stanza) {}, // nobody asks us anything here
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { link.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	if err := link.WaitUp(testCtx(t, 15*time.Second)); err != nil {
		t.Fatalf("component link: %v", err)
	}
	return link
}

// countingIQer counts the IQs it passes on.
type countingIQer struct {
	IQer
	n atomic.Int64
}

func (c *countingIQer) IQ(ctx context.Context, id string, data []byte) (*wire.Stanza, error) {
	c.n.Add(1)
	return c.IQer.IQ(ctx, id, data)
}

// genReader yields n deterministic pseudo-random bytes without holding
// them.
func genReader(seed uint64, n int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}), n)
}

func sum(r io.Reader) ([32]byte, int64) {
	h := sha256.New()
	n, _ := io.Copy(h, r)
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s, n
}

// The limit the real server is given: over 3 MB, so the big upload passes,
// and small enough that a file over it costs nothing to make.
const serviceLimit = 4 << 20

func TestUploadProsody(t *testing.T) {
	srv := startProsody(t, true, fmt.Sprintf("http_file_share_size_limit = %d", serviceLimit))
	link := connect(t, srv)
	iq := &countingIQer{IQer: link}
	u := NewUploader(iq, component, FixedDomain(srv.Domain()), nil)
	ctx := testCtx(t, 60*time.Second)

	svc, err := u.Discover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Service{JID: srv.UploadDomain(), MaxSize: serviceLimit}); svc != want {
		t.Fatalf("Discover = %+v, want %+v", svc, want)
	}
	before := iq.n.Load()
	if again, err := u.Discover(ctx); err != nil || again != svc || iq.n.Load() != before {
		t.Errorf("second Discover = %+v, %v after %d more IQs; want the cached result", again, err, iq.n.Load()-before)
	}

	const size = 3_000_000
	getURL, err := u.Upload(ctx, "big file.bin", "application/octet-stream", size, genReader(1, size))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(getURL, "http://"+srv.HTTPAddr()+"/") || !strings.HasSuffix(getURL, "/big%20file.bin") {
		t.Errorf("GET URL = %s", getURL)
	}
	resp, err := http.Get(getURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", getURL, resp.Status)
	}
	got, n := sum(resp.Body)
	want, _ := sum(genReader(1, size))
	if n != size || got != want {
		t.Errorf("downloaded %d bytes, want %d; same content: %v", n, size, got == want)
	}

	// A small file, with a name the service would refuse as is.
	getURL, err = u.Upload(ctx, "../notes.txt", "text/plain", 5, strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(getURL, "/notes.txt") {
		t.Errorf("GET URL = %s, want the name made safe", getURL)
	}
	// An empty file.
	if _, err := u.Upload(ctx, "empty", "", 0, strings.NewReader("")); err != nil {
		t.Errorf("empty file: %v", err)
	}

	// Over the service's limit: refused before any slot is asked for.
	before = iq.n.Load()
	_, err = u.Upload(ctx, "huge.bin", "", serviceLimit+1, genReader(2, serviceLimit+1))
	var tl *TooLargeError
	if !errors.Is(err, ErrTooLarge) || !errors.As(err, &tl) || tl.Limit != serviceLimit || !Fallback(err) {
		t.Fatalf("over the limit: %v (%#v), want a *TooLargeError with the limit", err, tl)
	}
	if iq.n.Load() != before {
		t.Errorf("%d IQs sent for a file known to be too large", iq.n.Load()-before)
	}

	// The service's own refusal, when the limit is not known beforehand.
	_, err = u.requestSlot(ctx, svc.JID, "huge.bin", "", serviceLimit+1)
	var se *SlotError
	if !errors.As(err, &se) || se.Condition != "not-acceptable" || !errors.As(err, &tl) || tl.Limit != serviceLimit || !Fallback(err) {
		t.Errorf("slot over the limit: %v, want a SlotError not-acceptable with a *TooLargeError", err)
	}

	// A configured service is checked, not searched for.
	u2 := NewUploader(link, component, FixedDomain(srv.Domain()), nil)
	u2.SetService(srv.UploadDomain())
	if svc2, err := u2.Discover(ctx); err != nil || svc2 != svc {
		t.Errorf("configured service: %+v, %v", svc2, err)
	}
	u2.SetService(srv.Domain())
	if _, err := u2.Discover(ctx); !errors.Is(err, ErrNoService) {
		t.Errorf("configured JID that is no upload service: %v, want ErrNoService", err)
	}
	// A PUT refused by the service (wrong length) is an error; then the
	// service is discovered again.
	_, err = u.Upload(ctx, "short", "", 10, strings.NewReader("12345"))
	if err == nil {
		t.Errorf("upload of fewer bytes than announced succeeded")
	}
	u.mu.Lock()
	forgot := u.svc == nil
	u.mu.Unlock()
	if !forgot {
		t.Errorf("service still cached after a failed upload")
	}
	if _, err := u.Upload(ctx, "again.txt", "text/plain", 2, strings.NewReader("ok")); err != nil {
		t.Errorf("upload after a failure: %v", err)
	}
}

func TestUploadNoService(t *testing.T) {
	srv := startProsody(t, false, "")
	iq := &countingIQer{IQer: connect(t, srv)}
	u := NewUploader(iq, component, FixedDomain(srv.Domain()), nil)
	ctx := testCtx(t, 30*time.Second)
	_, err := u.Upload(ctx, "a.txt", "text/plain", 1, strings.NewReader("a"))
	if !errors.Is(err, ErrNoService) || !Fallback(err) {
		t.Fatalf("Upload without a service: %v, want ErrNoService", err)
	}
	// Believed for a while: no IQ.
	before := iq.n.Load()
	if _, err := u.Upload(ctx, "a.txt", "text/plain", 1, strings.NewReader("a")); !errors.Is(err, ErrNoService) || iq.n.Load() != before {
		t.Errorf("second Upload: %v after %d IQs, want ErrNoService from the cache", err, iq.n.Load()-before)
	}
	// And asked again after NoServiceRetry.
	u.now = func() time.Time { return time.Now().Add(NoServiceRetry + time.Second) }
	if _, err := u.Discover(ctx); !errors.Is(err, ErrNoService) || iq.n.Load() == before {
		t.Errorf("Discover after NoServiceRetry: %v, %d IQs", err, iq.n.Load()-before)
	}
}

// http_file_share_access set without the component's domain: the
// component may not upload.
func TestUploadAccessRefused(t *testing.T) {
	srv := startProsody(t, true, `http_file_share_access = { "localhost" }`)
	u := NewUploader(connect(t, srv), component, FixedDomain(srv.Domain()), nil)
	_, err := u.Upload(testCtx(t, 30*time.Second), "a.txt", "text/plain", 1, strings.NewReader("a"))
	var se *SlotError
	if !errors.Is(err, ErrRefused) || !errors.As(err, &se) || se.Condition != "forbidden" || !Fallback(err) {
		t.Fatalf("Upload not allowed: %v, want ErrRefused (forbidden)", err)
	}
}

// The daily quota counts for the component as a whole.
func TestUploadQuota(t *testing.T) {
	srv := startProsody(t, true, `http_file_share_daily_quota = 10`)
	u := NewUploader(connect(t, srv), component, FixedDomain(srv.Domain()), nil)
	ctx := testCtx(t, 30*time.Second)
	if _, err := u.Upload(ctx, "a.txt", "text/plain", 6, strings.NewReader("123456")); err != nil {
		t.Fatal(err)
	}
	_, err := u.Upload(ctx, "b.txt", "text/plain", 6, strings.NewReader("123456"))
	if !errors.Is(err, ErrQuota) || !Fallback(err) {
		t.Fatalf("Upload over the daily quota: %v, want ErrQuota", err)
	}
}

// A link that is down is transient: no fallback, nothing remembered.
func TestUploadLinkDown(t *testing.T) {
	link := xmpplink.New(xmpplink.Config{Addr: "127.0.0.1:1", Domain: component, Handle: func(*wire.Stanza) {}})
	u := NewUploader(link, component, FixedDomain("localhost"), nil)
	_, err := u.Upload(testCtx(t, 5*time.Second), "a", "", 1, strings.NewReader("a"))
	if err == nil || Fallback(err) || !errors.Is(err, xmpplink.ErrDown) {
		t.Fatalf("Upload over a down link: %v, want a transient error", err)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.svc != nil || !u.noneUntil.IsZero() {
		t.Errorf("a transient failure was cached: %+v until %v", u.svc, u.noneUntil)
	}
}

// fakeIQer answers IQs with a function of the request.
type fakeIQer struct {
	mu     sync.Mutex
	ids    int
	sent   []string
	answer func(req *wire.Stanza) (string, error)
}

func (f *fakeIQer) NewID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ids++
	return fmt.Sprintf("id%d", f.ids)
}

func (f *fakeIQer) IQ(ctx context.Context, id string, data []byte) (*wire.Stanza, error) {
	req, err := wire.Parse(string(data))
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.sent = append(f.sent, req.To()+" "+req.Payload().XMLName.Space)
	f.mu.Unlock()
	ans, err := f.answer(req)
	if err != nil {
		return nil, err
	}
	return wire.Parse(ans)
}

func result(req *wire.Stanza, payload string) string {
	return fmt.Sprintf(`<iq type='result' from='%s' to='%s' id='%s'>%s</iq>`, req.To(), req.From(), req.ID(), payload)
}

func errorAnswer(req *wire.Stanza, cond, extra string) string {
	return fmt.Sprintf(`<iq type='error' from='%s' to='%s' id='%s'><error type='cancel'><%s xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>%s</error></iq>`,
		req.To(), req.From(), req.ID(), cond, extra)
}

const uploadInfo = `<query xmlns='http://jabber.org/protocol/disco#info'><identity category='store' type='file'/>
<feature var='urn:xmpp:http:upload:0'/>
<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:http:upload:0</value></field>
<field var='max-file-size'><value>1000</value></field></x></query>`

// uploadService is a server whose upload service is upload.example.org
// (found by disco), answering each slot request with slot's <slot/>.
func uploadService(slot func() string) *fakeIQer {
	return &fakeIQer{answer: func(req *wire.Stanza) (string, error) {
		switch p := req.Payload(); {
		case p.XMLName.Space == wire.NSDiscoItems:
			return result(req, `<query xmlns='http://jabber.org/protocol/disco#items'><item jid='upload.example.org'/></query>`), nil
		case p.XMLName.Space == wire.NSDiscoInfo && req.To() == "upload.example.org":
			return result(req, uploadInfo), nil
		case p.XMLName.Space == wire.NSDiscoInfo:
			return result(req, `<query xmlns='http://jabber.org/protocol/disco#info'/>`), nil
		case p.XMLName.Space == NSUpload:
			return result(req, slot()), nil
		}
		return errorAnswer(req, "service-unavailable", ""), nil
	}}
}

// A server shaped like ejabberd or another: the component is skipped, a
// silent item does not hide the service, and the slot's headers are
// filtered.
func TestDiscoverAndSlotFake(t *testing.T) {
	var put *http.Request
	var putBody []byte
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		put = r
		putBody, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusCreated)
	})
	f := &fakeIQer{}
	f.answer = func(req *wire.Stanza) (string, error) {
		p := req.Payload()
		switch {
		case req.To() == component:
			return "", errors.New("the component must not ask itself")
		case p.XMLName.Space == wire.NSDiscoItems && req.To() == "example.org":
			return result(req, `<query xmlns='http://jabber.org/protocol/disco#items'>
<item jid='echo.localhost'/><item jid='muc.example.org'/><item jid='files.example.org'/><item jid='pubsub.example.org' node='x'/></query>`), nil
		case p.XMLName.Space == wire.NSDiscoInfo && req.To() == "files.example.org":
			return result(req, uploadInfo), nil
		case p.XMLName.Space == wire.NSDiscoInfo && req.To() == "muc.example.org":
			return result(req, `<query xmlns='http://jabber.org/protocol/disco#info'><feature var='http://jabber.org/protocol/muc'/></query>`), nil
		case p.XMLName.Space == wire.NSDiscoInfo:
			return errorAnswer(req, "service-unavailable", ""), nil
		case p.XMLName.Space == NSUpload:
			if p.Attr("filename") != "x.txt" || p.Attr("size") != "3" || p.Attr("content-type") != "text/plain" || req.From() != component {
				return errorAnswer(req, "bad-request", ""), nil
			}
			return result(req, `<slot xmlns='urn:xmpp:http:upload:0'><put url='`+ts.URL+`/put/x.txt'>
<header name='Authorization'>Basic Base64String==</header><header name='Cookie'>foo=bar;
 user=romeo</header><header name='X-Evil'>no</header></put><get url='https://files.example.org/get/x.txt'/></slot>`), nil
		}
		return "", fmt.Errorf("unexpected %s", p.XMLName.Space)
	}
	u := NewUploader(f, component, FixedDomain("example.org"), nil)
	ctx := testCtx(t, 10*time.Second)
	got, err := u.Upload(ctx, "x.txt", "text/plain", 3, strings.NewReader("abc"))
	if err != nil {
		t.Fatal(err)
	}
	if got != "https://files.example.org/get/x.txt" {
		t.Errorf("URL = %s", got)
	}
	if put == nil || put.Method != "PUT" || string(putBody) != "abc" || put.ContentLength != 3 ||
		put.Header.Get("Authorization") != "Basic Base64String==" || put.Header.Get("Cookie") != "foo=bar; user=romeo" ||
		put.Header.Get("X-Evil") != "" || put.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("PUT = %+v, body %q", put, putBody)
	}
	if svc, _ := u.Discover(ctx); svc.MaxSize != 1000 {
		t.Errorf("max size = %d", svc.MaxSize)
	}
	if _, err := u.Upload(ctx, "x.txt", "text/plain", 1001, strings.NewReader("")); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over max-file-size: %v", err)
	}
}

func TestSlotErrors(t *testing.T) {
	for _, tc := range []struct {
		cond, extra string
		kind        error // nil: transient
	}{
		{"not-acceptable", `<file-too-large xmlns='urn:xmpp:http:upload:0'><max-file-size>20</max-file-size></file-too-large>`, ErrTooLarge},
		{"not-acceptable", `<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>File type not allowed</text>`, ErrRefused},
		{"forbidden", "", ErrRefused},
		{"resource-constraint", "", ErrQuota},
		{"service-unavailable", "", ErrNoService},
		{"internal-server-error", "", nil},
	} {
		f := &fakeIQer{answer: func(req *wire.Stanza) (string, error) {
			if req.Payload().XMLName.Space == NSUpload {
				return errorAnswer(req, tc.cond, tc.extra), nil
			}
			return result(req, uploadInfo), nil
		}}
		u := NewUploader(f, component, FixedDomain("example.org"), nil)
		u.SetService("up.example.org")
		_, err := u.Upload(testCtx(t, 5*time.Second), "a", "", 10, strings.NewReader("0123456789"))
		var se *SlotError
		if !errors.As(err, &se) || se.Condition != tc.cond {
			t.Errorf("%s: %v, want a SlotError", tc.cond, err)
			continue
		}
		if tc.kind == nil && Fallback(err) || tc.kind != nil && !errors.Is(err, tc.kind) {
			t.Errorf("%s: %v, want kind %v", tc.cond, err, tc.kind)
		}
		var tl *TooLargeError
		if tc.kind == ErrTooLarge && (!errors.As(err, &tl) || tl.Limit != 20) {
			t.Errorf("%s: limit not read: %v", tc.cond, err)
		}
	}
}

// Concurrent uploads share one discovery.
func TestDiscoverOnce(t *testing.T) {
	var infos atomic.Int64
	release := make(chan struct{})
	f := &fakeIQer{answer: func(req *wire.Stanza) (string, error) {
		if req.Payload().XMLName.Space == wire.NSDiscoItems {
			<-release
			return result(req, `<query xmlns='http://jabber.org/protocol/disco#items'><item jid='up.example.org'/></query>`), nil
		}
		infos.Add(1)
		if req.To() == "up.example.org" {
			return result(req, uploadInfo), nil
		}
		return result(req, `<query xmlns='http://jabber.org/protocol/disco#info'/>`), nil
	}}
	u := NewUploader(f, component, FixedDomain("example.org"), nil)
	ctx := testCtx(t, 5*time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			svc, err := u.Discover(ctx)
			if err == nil && svc.JID != "up.example.org" {
				err = fmt.Errorf("found %+v", svc)
			}
			errs <- err
		})
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := infos.Load(); n != 2 {
		t.Errorf("%d disco#info requests, want 2 (server and item, once)", n)
	}
	// A follower whose own context ends stops waiting.
	u.Forget()
	release2 := make(chan struct{})
	f.answer = func(req *wire.Stanza) (string, error) { <-release2; return "", errors.New("late") }
	go u.Discover(context.Background())
	time.Sleep(10 * time.Millisecond)
	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := u.Discover(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("follower: %v", err)
	}
	close(release2)
}

func TestOOB(t *testing.T) {
	var w wire.Writer
	w.Start("message", "").Attr("to", "a@b").Attr("type", "chat").Leaf("body", "", "https://x/y?a=1&b=2")
	OOB(&w, "https://x/y?a=1&b=2", "a <photo>")
	out := w.String()
	if want := `<x xmlns="jabber:x:oob"><url>https://x/y?a=1&amp;b=2</url><desc>a &lt;photo&gt;</desc></x>`; !strings.Contains(out, want) {
		t.Errorf("OOB = %s, want %s inside", out, want)
	}
	st, err := wire.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if u, d, ok := OOBURL(st); !ok || u != "https://x/y?a=1&b=2" || d != "a <photo>" {
		t.Errorf("OOBURL = %q, %q, %v", u, d, ok)
	}
	w = wire.Writer{}
	OOB(w.Start("message", ""), "https://x/z", "")
	if out := w.String(); strings.Contains(out, "desc") {
		t.Errorf("empty desc written: %s", out)
	}
	for _, in := range []string{
		`<message><body>hi</body></message>`,
		`<message><x xmlns='jabber:x:oob'><url> </url></x></message>`,
		`<message><x xmlns='urn:other'><url>https://a/b</url></x></message>`,
	} {
		st, _ := wire.Parse(in)
		if u, _, ok := OOBURL(st); ok {
			t.Errorf("OOBURL(%s) = %q", in, u)
		}
	}
	st, _ = wire.Parse(`<message xmlns='jabber:client'><body>https://a/b c</body><x xmlns='jabber:x:oob'><url>
  https://a/b%20c </url></x></message>`)
	if u, d, ok := OOBURL(st); !ok || u != "https://a/b%20c" || d != "" {
		t.Errorf("OOBURL = %q, %q, %v", u, d, ok)
	}
}

// TestUploadHostileMIME: a file's MIME type comes from the network, from
// whoever sent it. One that is not a MIME type (a line break in it, or
// nonsense) is not handed on: the slot and the PUT declare the type the
// name's extension gives, else application/octet-stream. Before, the PUT
// failed ("invalid header field value"), a transient error, so the file
// never reached the user and the service was forgotten at each try.
func TestUploadHostileMIME(t *testing.T) {
	var putType string
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		putType = r.Header.Get("Content-Type")
		w.WriteHeader(http.StatusCreated)
	})
	var slotType string
	f := &fakeIQer{answer: func(req *wire.Stanza) (string, error) {
		if p := req.Payload(); p.XMLName.Space == NSUpload {
			slotType = p.Attr("content-type")
			return result(req, `<slot xmlns='urn:xmpp:http:upload:0'><put url='`+ts.URL+`/put'/><get url='https://files.example.org/get'/></slot>`), nil
		}
		return result(req, uploadInfo), nil
	}}
	u := NewUploader(f, component, FixedDomain("example.org"), nil)
	u.SetService("up.example.org")
	for _, tc := range []struct{ name, mime, want string }{
		{"a.png", "image/png\r\nX-Evil: 1", "image/png"},
		{"a", "text/plain\nSet-Cookie: x=y", "application/octet-stream"},
		{"a", "not a type", "application/octet-stream"},
		{"a", "text/plain; charset=utf-8", "text/plain; charset=utf-8"},
		{"a", "image/jpeg", "image/jpeg"},
	} {
		slotType, putType = "", ""
		_, err := u.Upload(testCtx(t, 5*time.Second), tc.name, tc.mime, 1, strings.NewReader("x"))
		if err != nil || slotType != tc.want || putType != tc.want {
			t.Errorf("%q: slot %q, PUT %q, %v; want %q", tc.mime, slotType, putType, err, tc.want)
		}
	}
}
