package media

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"
)

// Fetch limits.
const (
	// DefaultFetchTimeout bounds a whole Fetch when ctx has no deadline.
	DefaultFetchTimeout = 10 * time.Minute
	// MaxRedirects is how many redirects Fetch follows.
	MaxRedirects = 3
)

// fetchStallTimeout ends a download whose body sends nothing for this long:
// a server trickling bytes, or none, would otherwise hold the fetch (and
// the room it reserved for the file) until the whole timeout. A variable
// for tests.
var fetchStallTimeout = time.Minute

// ErrStalled: the file's server sent nothing for a while in the middle
// of the body. errors.Is(err, ErrStalled).
var ErrStalled = errors.New("download stalled: the server stopped sending the file")

// Fetched is a file Fetch downloaded.
type Fetched struct {
	// Path is the file, in the folder given to Fetch, mode 0600. The
	// caller owns it: move it or remove it.
	Path string
	// Name is the file's name: the URL path's last element, unescaped and
	// made safe (SafeName), else Content-Disposition's, else "file".
	Name string
	// MIME is the Content-Type, else guessed from Name's extension, else
	// sniffed from the first bytes.
	MIME string
	Size int64
}

// defaultClient is Fetch's when given none: it connects to public
// addresses only. No overall timeout: ctx bounds the request.
var defaultClient = (&Guard{}).Client()

// newTransport is the HTTP transport of file transfers: bounded waits for
// headers and handshakes, a few idle connections per host.
func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		ResponseHeaderTimeout: time.Minute,
		TLSHandshakeTimeout:   10 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   4,
	}
}

// Fetch downloads rawURL, a file the user's client uploaded (an XEP-0066
// OOB or XEP-0363 GET URL), streaming it into a new file in dir (created
// 0700 if missing), with Open's checks and limits. On any error no file
// is left behind. c nil means a default client.
func Fetch(ctx context.Context, c *http.Client, rawURL, dir string, maxBytes int64) (_ Fetched, err error) {
	d, err := Open(ctx, c, rawURL, maxBytes)
	if err != nil {
		return Fetched{}, err
	}
	defer d.Close()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Fetched{}, fmt.Errorf("fetch: %w", err)
	}
	f, err := os.CreateTemp(dir, "fetch-*")
	if err != nil {
		return Fetched{}, fmt.Errorf("fetch: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	n, err := io.Copy(f, d)
	if err != nil {
		return Fetched{}, err
	}
	if err = f.Close(); err != nil {
		return Fetched{}, fmt.Errorf("fetch: %w", err)
	}
	return Fetched{Path: f.Name(), Name: d.Name, MIME: d.MIME, Size: n}, nil
}

// Download is a file being fetched: read it from the Download itself,
// then Close it.
type Download struct {
	// Name and MIME are as in Fetched.
	Name, MIME string
	// Size is the Content-Length, -1 when the server did not say.
	Size int64

	body   io.ReadCloser
	r      io.Reader // the body, with its first bytes peeked for MIME
	stall  *time.Timer
	cancel context.CancelFunc
	url    string
	ctx    context.Context
	max, n int64
}

// Read reads the file; going past the limit fails with a *TooLargeError,
// a body shorter than its Content-Length with io.ErrUnexpectedEOF.
func (d *Download) Read(p []byte) (int, error) {
	if int64(len(p)) > d.max-d.n+1 {
		p = p[:d.max-d.n+1]
	}
	n, err := d.r.Read(p)
	d.n += int64(n)
	if d.n > d.max {
		return n, fmt.Errorf("fetch %s: %w", d.url, &TooLargeError{Limit: d.max})
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return n, fmt.Errorf("fetch %s: %w", d.url, ctxError(d.ctx, err))
	}
	return n, err
}

// ctxError is err, a read's, with why ctx ended if it did.
func ctxError(ctx context.Context, err error) error {
	if ctx.Err() == nil {
		return err
	}
	if cause := context.Cause(ctx); errors.Is(cause, ErrStalled) {
		return fmt.Errorf("%w (%v)", cause, err)
	}
	return fmt.Errorf("%w (%v)", ctx.Err(), err)
}

// Close ends the download.
func (d *Download) Close() error {
	d.stall.Stop()
	d.cancel()
	return d.body.Close()
}

// waitBound runs the stall timer while a read of the body waits: only
// the server's silence counts, not a slow reader's pauses between reads.
type waitBound struct {
	r     io.Reader
	stall *time.Timer
}

func (w waitBound) Read(b []byte) (int, error) {
	w.stall.Reset(fetchStallTimeout)
	n, err := w.r.Read(b)
	w.stall.Stop()
	return n, err
}

// Open starts the download of rawURL, a file the user's client uploaded
// (an XEP-0066 OOB or XEP-0363 GET URL), and returns it once the headers
// are in, to be read as it comes. The URL must be https, or http on a
// loopback address; redirects are followed up to MaxRedirects times, to
// such URLs only. The addresses the client may connect to are its own
// business: the default client's Guard refuses all but public ones
// (ErrBlocked). A file over maxBytes (0 means DefaultMaxBytes) is refused
// with a *TooLargeError (errors.Is ErrTooLarge), from Content-Length when
// given, else by Read as soon as the body goes past it. When ctx has no
// deadline, DefaultFetchTimeout applies; a body that sends nothing for a
// minute while it is read fails with ErrStalled. A non-2xx answer is an
// *HTTPError. c nil means a default client.
func Open(ctx context.Context, c *http.Client, rawURL string, maxBytes int64) (_ *Download, err error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	var cancelTimeout context.CancelFunc
	if _, ok := ctx.Deadline(); ok {
		ctx, cancelTimeout = context.WithCancel(ctx)
	} else {
		ctx, cancelTimeout = context.WithTimeout(ctx, DefaultFetchTimeout)
	}
	ctx, cancelCause := context.WithCancelCause(ctx)
	cancel := func() { cancelCause(nil); cancelTimeout() }
	// Run by reads of the body (waitBound); ResponseHeaderTimeout bounds
	// the wait for the headers.
	stall := time.AfterFunc(time.Hour, func() { cancelCause(ErrStalled) })
	stall.Stop()
	defer func() {
		if err != nil {
			stall.Stop()
			cancel()
		}
	}()
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w: %v", ErrBadURL, err)
	}
	if err := fetchable(u); err != nil {
		return nil, fmt.Errorf("fetch %s: %w", redactURL(rawURL), err)
	}
	if c == nil {
		c = defaultClient
	}
	cc := *c // the caller's transport, our redirect policy
	cc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > MaxRedirects {
			return fmt.Errorf("%w: more than %d redirects", ErrBadURL, MaxRedirects)
		}
		if err := fetchable(req.URL); err != nil {
			return fmt.Errorf("redirected to %s: %w", redactURL(req.URL.String()), err)
		}
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	req.Header.Set("User-Agent", "passerelle")
	resp, err := cc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", redactErr(err))
	}
	defer func() {
		if err != nil {
			resp.Body.Close()
		}
	}()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("fetch: %w", &HTTPError{Method: http.MethodGet, URL: redactURL(resp.Request.URL.String()), StatusCode: resp.StatusCode, Status: resp.Status})
	}
	if resp.ContentLength > maxBytes {
		return nil, fmt.Errorf("fetch %s: %w", redactURL(rawURL), &TooLargeError{Limit: maxBytes, Size: resp.ContentLength})
	}

	name := SafeName(path.Base(u.Path)) // url.Parse unescaped it
	if name == "" || u.Path == "" || strings.HasSuffix(u.Path, "/") {
		name = ""
		if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil {
			name = SafeName(params["filename"])
		}
	}
	if name == "" {
		name = "file"
	}
	// The first bytes, for sniffing the type: read now, kept in the
	// buffer for the reader.
	br := bufio.NewReaderSize(waitBound{r: resp.Body, stall: stall}, 64<<10)
	head, perr := br.Peek(512)
	if perr != nil && !errors.Is(perr, io.EOF) && !errors.Is(perr, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("fetch %s: %w", redactURL(rawURL), ctxError(ctx, perr))
	}
	return &Download{
		Name:   name,
		MIME:   detectMIME(resp.Header.Get("Content-Type"), name, head),
		Size:   resp.ContentLength,
		body:   resp.Body,
		r:      br,
		stall:  stall,
		cancel: cancel,
		url:    redactURL(rawURL),
		ctx:    ctx,
		max:    maxBytes,
	}, nil
}

// fetchable refuses URLs Fetch must not fetch.
func fetchable(u *url.URL) error {
	if u.Host == "" {
		return fmt.Errorf("%w: no host", ErrBadURL)
	}
	if u.User != nil {
		return fmt.Errorf("%w: credentials in the URL", ErrBadURL)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if loopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%w: plain http to a host other than loopback", ErrBadURL)
	}
	return fmt.Errorf("%w: scheme %q (want https)", ErrBadURL, u.Scheme)
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
