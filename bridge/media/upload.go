package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"passerelle.im/passerelle/bridge/wire"
)

// NSUpload is XEP-0363 HTTP File Upload.
const NSUpload = "urn:xmpp:http:upload:0"

// Timeouts of the upload path.
const (
	// IQTimeout bounds each disco and slot request.
	IQTimeout = 10 * time.Second
	// NoServiceRetry is how long a server found without an upload service
	// is believed: Upload fails at once with ErrNoService until then.
	NoServiceRetry = time.Minute
)

// Service is an XEP-0363 upload service as discovered.
type Service struct {
	// JID is the service's address, e.g. upload.example.org.
	JID string
	// MaxSize is the largest file it takes, in bytes; 0 when it says none.
	MaxSize int64
}

// SlotError is an error answer of the upload service to a slot request.
// It unwraps to ErrNoService, ErrTooLarge (as a *TooLargeError), ErrRefused
// or ErrQuota when the condition says so, to nothing when it is transient.
type SlotError struct {
	Service   string
	Condition string // RFC 6120 condition, e.g. "forbidden"
	Text      string
	kind      error
}

func (e *SlotError) Error() string {
	s := fmt.Sprintf("upload slot from %s: %s", e.Service, e.Condition)
	if e.Text != "" {
		s += " (" + e.Text + ")"
	}
	if e.kind != nil {
		s += ": " + e.kind.Error()
	}
	return s
}

func (e *SlotError) Unwrap() error { return e.kind }

// Uploader puts files on the user's server through XEP-0363, as the
// component: the service must let the component's domain upload (see the
// README; with Prosody's http_file_share, http_file_share_access must list
// it when set, and the daily quota counts for the component as a whole).
// Its methods are safe for concurrent use.
type Uploader struct {
	link         IQer
	component    string
	serverDomain func() string
	client       *http.Client

	mu         sync.Mutex
	configured string    // service JID from the configuration, or ""
	svc        *Service  // discovered, nil when unknown
	noneUntil  time.Time // a definitive "no service" holds until then
	// on is the server domain svc or noneUntil was found on: a domain
	// the server showed later (a deep component's, learned from its
	// XEP-0356 grants) is looked up again.
	on       string
	inflight *discovery // a discovery under way
	now      func() time.Time

	// hosts holds the host:port (HostPort) of the GET URLs of the slots
	// granted so far, each with the path prefixes (filesPrefix) they
	// were under: where the service serves files from.
	hosts map[string][]string
	// learnMu serialises slot requests made only to learn hosts;
	// learnFailed is when the last of them failed.
	learnMu     sync.Mutex
	learnFailed time.Time
}

type discovery struct {
	done chan struct{}
	svc  Service
	err  error
}

// NewUploader returns an Uploader that asks the upload service of the
// server's domain, as serverDomain says it at each lookup, through link,
// as component. httpClient makes the PUT requests; nil means a client
// with no overall timeout (uploads are bounded by the caller's context)
// that follows no redirects.
func NewUploader(link IQer, component string, serverDomain func() string, httpClient *http.Client) *Uploader {
	if httpClient == nil {
		httpClient = &http.Client{
			Transport:     newTransport(),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &Uploader{link: link, component: component, serverDomain: serverDomain, client: httpClient, now: time.Now}
}

// FixedDomain is a serverDomain for NewUploader that is always d.
func FixedDomain(d string) func() string { return func() string { return d } }

// SetService makes Discover use this JID (the configuration's
// media.upload_service) instead of searching the server's items; "" goes
// back to searching. It forgets what was discovered.
func (u *Uploader) SetService(jid string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.configured = jid
	u.svc = nil
	u.noneUntil = time.Time{}
}

// Forget drops the discovered service, so that the next upload discovers
// it again.
func (u *Uploader) Forget() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.svc = nil
	u.noneUntil = time.Time{}
}

// Discover finds the upload service: the configured JID if any, checked
// with disco#info; else the first item of the server's disco#items (and
// the server itself) whose disco#info has urn:xmpp:http:upload:0, with its
// max-file-size from the XEP-0128 form. The result is cached; a failed
// upload clears it. When the server answered and has no service, the
// error wraps ErrNoService and is remembered for NoServiceRetry.
func (u *Uploader) Discover(ctx context.Context) (Service, error) {
	for {
		domain := u.serverDomain()
		u.mu.Lock()
		if u.configured == "" && u.on != domain {
			// Found on a domain that is not the server's after all.
			u.svc, u.noneUntil = nil, time.Time{}
		}
		if u.svc != nil {
			svc := *u.svc
			u.mu.Unlock()
			return svc, nil
		}
		if u.now().Before(u.noneUntil) {
			u.mu.Unlock()
			return Service{}, fmt.Errorf("%s: %w (looked up less than %s ago)", domain, ErrNoService, NoServiceRetry)
		}
		if d := u.inflight; d != nil {
			u.mu.Unlock()
			select {
			case <-d.done:
			case <-ctx.Done():
				return Service{}, ctx.Err()
			}
			if d.err != nil && ctx.Err() == nil && (errors.Is(d.err, context.Canceled) || errors.Is(d.err, context.DeadlineExceeded)) {
				continue // the leader's context ended, not ours: try ourselves
			}
			return d.svc, d.err
		}
		d := &discovery{done: make(chan struct{})}
		u.inflight = d
		configured := u.configured
		u.mu.Unlock()

		d.svc, d.err = u.discover(ctx, configured, domain)

		u.mu.Lock()
		u.inflight = nil
		switch {
		case d.err == nil:
			svc := d.svc
			u.svc, u.on = &svc, domain
		case errors.Is(d.err, ErrNoService):
			u.noneUntil, u.on = u.now().Add(NoServiceRetry), domain
		}
		u.mu.Unlock()
		close(d.done)
		return d.svc, d.err
	}
}

func (u *Uploader) discover(ctx context.Context, configured, serverDomain string) (Service, error) {
	if configured != "" {
		svc, found, err := u.info(ctx, configured)
		if err != nil {
			return Service{}, fmt.Errorf("upload service %s: %w", configured, err)
		}
		if !found {
			return Service{}, fmt.Errorf("upload service %s does not offer %s: %w", configured, NSUpload, ErrNoService)
		}
		return svc, nil
	}
	items, err := u.items(ctx, serverDomain)
	if err != nil {
		return Service{}, fmt.Errorf("disco#items of %s: %w", serverDomain, err)
	}
	// Ask every candidate at once; take the first in the server's order.
	cands := []string{serverDomain}
	for _, it := range items {
		if it != u.component && it != serverDomain {
			cands = append(cands, it)
		}
	}
	type answer struct {
		svc   Service
		found bool
		err   error
	}
	answers := make([]answer, len(cands))
	var wg sync.WaitGroup
	for i, c := range cands {
		wg.Go(func() {
			a := &answers[i]
			a.svc, a.found, a.err = u.info(ctx, c)
		})
	}
	wg.Wait()
	var transient error
	for _, a := range answers {
		if a.found {
			return a.svc, nil
		}
		if a.err != nil && !errors.Is(a.err, ErrNoService) && transient == nil {
			transient = a.err
		}
	}
	if transient != nil {
		// Someone did not answer: it may be the service.
		return Service{}, fmt.Errorf("no upload service found on %s, and %w", serverDomain, transient)
	}
	return Service{}, fmt.Errorf("%s: %w (none of its %d disco items offers %s)", serverDomain, ErrNoService, len(items), NSUpload)
}

// iq sends a get from the component to `to` with the payload written by
// body, and returns the result; an error answer is a *stanzaError.
func (u *Uploader) iq(ctx context.Context, to string, body func(*wire.Writer)) (*wire.Stanza, error) {
	ctx, cancel := context.WithTimeout(ctx, IQTimeout)
	defer cancel()
	id := u.link.NewID()
	var w wire.Writer
	w.Start("iq", "").Attr("from", u.component).Attr("to", to).Attr("id", id).Attr("type", "get")
	body(&w)
	st, err := u.link.IQ(ctx, id, w.Bytes())
	if err != nil {
		return nil, err
	}
	if st.Type() == "error" {
		cond, text := st.ErrorCondition()
		if cond == "" {
			cond = "undefined-condition"
		}
		return st, &stanzaError{from: to, cond: cond, text: text}
	}
	if st.Type() != "result" {
		return nil, fmt.Errorf("answer of type %q from %s", st.Type(), to)
	}
	return st, nil
}

// stanzaError is an error answer to a disco request. It reads as
// ErrNoService: whatever answers an error is not an upload service.
type stanzaError struct{ from, cond, text string }

func (e *stanzaError) Error() string {
	s := e.from + " answered " + e.cond
	if e.text != "" {
		s += " (" + e.text + ")"
	}
	return s
}

func (e *stanzaError) Is(target error) bool { return target == ErrNoService }

func (u *Uploader) items(ctx context.Context, to string) ([]string, error) {
	st, err := u.iq(ctx, to, func(w *wire.Writer) { w.Leaf("query", wire.NSDiscoItems, "") })
	if err != nil {
		return nil, err
	}
	var out []string
	if q := st.Child(wire.NSDiscoItems, "query"); q != nil {
		for _, it := range q.Children {
			if it.XMLName.Local == "item" && it.Attr("node") == "" {
				if j := it.Attr("jid"); j != "" {
					out = append(out, j)
				}
			}
		}
	}
	return out, nil
}

// info asks to's disco#info whether it is an upload service.
func (u *Uploader) info(ctx context.Context, to string) (svc Service, found bool, err error) {
	st, err := u.iq(ctx, to, func(w *wire.Writer) { w.Leaf("query", wire.NSDiscoInfo, "") })
	if err != nil {
		return Service{}, false, err
	}
	q := st.Child(wire.NSDiscoInfo, "query")
	if q == nil {
		return Service{}, false, nil
	}
	for _, c := range q.Children {
		if c.XMLName.Local == "feature" && c.Attr("var") == NSUpload {
			found = true
		}
	}
	if !found {
		return Service{}, false, nil
	}
	svc = Service{JID: to}
	for _, x := range q.Children {
		if x.XMLName.Space != wire.NSData || x.XMLName.Local != "x" || formType(&x) != NSUpload {
			continue
		}
		for _, f := range x.Children {
			if f.XMLName.Local == "field" && f.Attr("var") == "max-file-size" {
				if v := f.Child("", "value"); v != nil {
					if n, err := strconv.ParseInt(strings.TrimSpace(v.Text), 10, 64); err == nil && n > 0 {
						svc.MaxSize = n
					}
				}
			}
		}
	}
	return svc, true, nil
}

// formType is the FORM_TYPE of an XEP-0004 form.
func formType(x *wire.Element) string {
	for _, f := range x.Children {
		if f.XMLName.Local == "field" && f.Attr("var") == "FORM_TYPE" {
			if v := f.Child("", "value"); v != nil {
				return strings.TrimSpace(v.Text)
			}
		}
	}
	return ""
}

// uploadSlot is an XEP-0363 upload slot.
type uploadSlot struct {
	PutURL string
	// Header holds the headers to send with the PUT: only Authorization,
	// Cookie and Expires, as XEP-0363 allows, newlines stripped.
	Header http.Header
	GetURL string
}

// Upload puts a file of size bytes, read from r, on the user's server and
// returns the URL to fetch it from. It discovers the service if needed,
// requests a slot (as the component; size must be known beforehand), then
// PUTs r to the slot's URL, streaming it. r must yield exactly size bytes.
//
// Errors for which Fallback is true mean the built-in server should serve
// the file instead: ErrNoService, ErrTooLarge (a *TooLargeError with the
// service's limit when it gave one), ErrRefused, ErrQuota. Others are
// transient. After a failure other than ErrTooLarge the service is
// discovered again on the next call. A mimeType that is not a valid MIME
// type, or is empty or application/octet-stream, is replaced by the
// name's extension's type, else application/octet-stream.
func (u *Uploader) Upload(ctx context.Context, name, mimeType string, size int64, r io.Reader) (getURL string, err error) {
	if size < 0 {
		return "", errors.New("upload: the size must be known")
	}
	// The type comes from the network, from whoever sent the file: one
	// that does not parse (a line break in it) would fail the PUT's
	// header at every try, and the file would never arrive.
	mimeType = FileType(mimeType, name)
	svc, err := u.Discover(ctx)
	if err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	if svc.MaxSize > 0 && size > svc.MaxSize {
		return "", fmt.Errorf("upload to %s: %w", svc.JID, &TooLargeError{Limit: svc.MaxSize, Size: size})
	}
	slot, err := u.requestSlot(ctx, svc.JID, name, mimeType, size)
	if err != nil {
		if !errors.Is(err, ErrTooLarge) {
			u.Forget()
		}
		return "", fmt.Errorf("upload: %w", err)
	}
	if err := u.put(ctx, slot, mimeType, size, r); err != nil {
		if !errors.Is(err, ErrTooLarge) {
			u.Forget()
		}
		return "", fmt.Errorf("upload: %w", err)
	}
	return slot.GetURL, nil
}

// requestSlot asks service for a slot for the file.
func (u *Uploader) requestSlot(ctx context.Context, service, name, mimeType string, size int64) (*uploadSlot, error) {
	name = SafeName(name)
	if name == "" {
		name = "file"
	}
	if mimeType == "" {
		mimeType = "application/octet-stream"
	}
	st, err := u.iq(ctx, service, func(w *wire.Writer) {
		w.Start("request", NSUpload).Attr("filename", name).Attr("size", strconv.FormatInt(size, 10)).Attr("content-type", mimeType).End()
	})
	if err != nil {
		var se *stanzaError
		if errors.As(err, &se) {
			return nil, slotError(service, size, st, se)
		}
		return nil, fmt.Errorf("slot request to %s: %w", service, err)
	}
	s := st.Child(NSUpload, "slot")
	if s == nil {
		return nil, fmt.Errorf("slot request to %s: answer without a slot: %w", service, ErrNoService)
	}
	put, get := s.Child(NSUpload, "put"), s.Child(NSUpload, "get")
	if put == nil || get == nil {
		return nil, fmt.Errorf("slot request to %s: slot without put or get URL: %w", service, ErrNoService)
	}
	slot := &uploadSlot{PutURL: put.Attr("url"), GetURL: get.Attr("url"), Header: http.Header{}}
	var getURL *url.URL
	for _, raw := range []string{slot.PutURL, slot.GetURL} {
		pu, err := url.Parse(raw)
		if err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
			return nil, fmt.Errorf("slot request to %s: bad URL %q in the slot: %w", service, redactURL(raw), ErrNoService)
		}
		getURL = pu
	}
	u.mu.Lock()
	if u.hosts == nil {
		u.hosts = map[string][]string{}
	}
	if hp, prefix := HostPort(getURL), filesPrefix(getURL.Path); !slices.Contains(u.hosts[hp], prefix) {
		u.hosts[hp] = append(u.hosts[hp], prefix)
	}
	u.mu.Unlock()
	for _, h := range put.Children {
		if h.XMLName.Local != "header" {
			continue
		}
		name := http.CanonicalHeaderKey(strings.TrimSpace(stripNewlines(h.Attr("name"))))
		switch name {
		case "Authorization", "Cookie", "Expires":
			slot.Header.Add(name, stripNewlines(h.Text))
		}
	}
	return slot, nil
}

func stripNewlines(s string) string {
	return strings.NewReplacer("\r", "", "\n", "").Replace(s)
}

// slotError types an error answer to a slot request.
func slotError(service string, size int64, st *wire.Stanza, se *stanzaError) error {
	e := &SlotError{Service: service, Condition: se.cond, Text: se.text}
	switch se.cond {
	case "not-acceptable", "policy-violation":
		e.kind = ErrRefused
		if ftl := tooLargeElement(st); ftl != nil {
			tl := &TooLargeError{Size: size}
			if m := ftl.Child("", "max-file-size"); m != nil {
				tl.Limit, _ = strconv.ParseInt(strings.TrimSpace(m.Text), 10, 64)
			}
			e.kind = tl
		} else if strings.Contains(strings.ToLower(se.text), "too large") {
			e.kind = &TooLargeError{Size: size}
		}
	case "forbidden", "not-allowed", "not-authorized", "bad-request", "registration-required":
		e.kind = ErrRefused
	case "resource-constraint":
		e.kind = ErrQuota
	case "service-unavailable", "item-not-found", "feature-not-implemented", "remote-server-not-found", "recipient-unavailable":
		e.kind = ErrNoService
	}
	return e
}

func tooLargeElement(st *wire.Stanza) *wire.Element {
	if st == nil {
		return nil
	}
	if e := st.Child("", "error"); e != nil {
		return e.Child(NSUpload, "file-too-large")
	}
	return nil
}

// put streams r to the slot.
func (u *Uploader) put(ctx context.Context, slot *uploadSlot, mimeType string, size int64, r io.Reader) error {
	var body io.Reader = http.NoBody
	if size > 0 {
		// NopCloser: the caller owns r (the transport would close it).
		body = io.NopCloser(r)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, slot.PutURL, body)
	if err != nil {
		return fmt.Errorf("PUT %s: %w", redactURL(slot.PutURL), err)
	}
	req.ContentLength = size
	for k, v := range slot.Header {
		req.Header[k] = v
	}
	if mimeType == "" {
		mimeType = "application/octet-stream"
	}
	req.Header.Set("Content-Type", mimeType)
	resp, err := u.client.Do(req)
	if err != nil {
		return fmt.Errorf("PUT %s: %w", redactURL(slot.PutURL), redactErr(err))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusNoContent {
		return &HTTPError{Method: http.MethodPut, URL: redactURL(slot.PutURL), StatusCode: resp.StatusCode, Status: resp.Status}
	}
	return nil
}

// ServesFrom reports whether fu is a file of the upload service: on the
// host:port of the GET URL of a slot it granted, under the same first
// path segment (filesPrefix). Files users upload there may be fetched
// even where that is a private address; the server's other pages on
// that port (its metrics, BOSH, admin modules) may not. When no slot was
// granted yet, it asks for one of a single byte, never used, to learn
// the host (with Prosody, one byte of the component's daily quota); a
// failure holds for NoServiceRetry.
func (u *Uploader) ServesFrom(ctx context.Context, fu *url.URL) bool {
	hostport := HostPort(fu)
	if u.serves(hostport, fu.Path) {
		return true
	}
	u.learnMu.Lock()
	defer u.learnMu.Unlock()
	u.mu.Lock()
	learnt := len(u.hosts) > 0
	u.mu.Unlock()
	if learnt || u.now().Sub(u.learnFailed) < NoServiceRetry {
		return u.serves(hostport, fu.Path)
	}
	svc, err := u.Discover(ctx)
	if err == nil {
		_, err = u.requestSlot(ctx, svc.JID, "probe", "application/octet-stream", 1)
	}
	if err != nil {
		u.learnFailed = u.now()
		return false
	}
	return u.serves(hostport, fu.Path)
}

// serves reports whether p, a URL path on hostport, is under a prefix
// the service's files were served from.
func (u *Uploader) serves(hostport, p string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	p = path.Clean("/" + p) // as the server reads it: no "..", no "//"
	for _, prefix := range u.hosts[hostport] {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// filesPrefix is the path prefix the upload service serves files under,
// from a GET URL's path: its first segment where the path has more than
// two ("/file_share/" of Prosody's /file_share/<id>/<name>, "/upload/"
// of ejabberd's /upload/<user>/<id>/<name>), else the whole host ("/").
func filesPrefix(p string) string {
	segs := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
	if len(segs) <= 2 {
		return "/"
	}
	return "/" + segs[0] + "/"
}
