// Package media moves attachments between the networks and XMPP.
//
// From a network to the user: Uploader puts the file on the user's server
// through XEP-0363 HTTP File Upload, asking the server's upload service as
// the component; where that is not possible (no service, file too large,
// refused, quota), Server keeps the file and serves it from the gateway's
// own HTTP endpoint. Either way the message carries the URL as its body
// and in an XEP-0066 OOB element (OOB).
//
// From the user to a network: Fetch downloads the URL the user's client
// uploaded to, with a size limit and a timeout, into a file the plugin is
// handed.
//
// Files are streamed, never held whole in memory.
package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"passerelle.im/passerelle/bridge/wire"
)

// DefaultMaxBytes is the size limit of Server and Fetch when none is given.
const DefaultMaxBytes = 100 << 20

// IQer is what media needs of the component link (xmpplink.Link has it).
type IQer interface {
	NewID() string
	IQ(ctx context.Context, id string, data []byte) (*wire.Stanza, error)
}

// Errors, for errors.Is. Fallback tells which of them mean "serve the file
// from the built-in server instead".
var (
	// ErrNoService: the user's server has no XEP-0363 upload service, or
	// it does not answer as one.
	ErrNoService = errors.New("no XEP-0363 upload service")
	// ErrTooLarge: the file is over a size limit (the upload service's,
	// the built-in server's, or Fetch's). See *TooLargeError for the limit.
	ErrTooLarge = errors.New("file too large")
	// ErrRefused: the upload service refused the slot for good (the
	// component is not allowed to upload, the name or type is refused).
	ErrRefused = errors.New("upload refused")
	// ErrQuota: the upload service's quota is used up (Prosody counts a
	// daily quota per uploader, and the component is one uploader).
	ErrQuota = errors.New("upload quota reached")
	// ErrBadURL: Fetch was given a URL it will not fetch (not https, nor
	// http on loopback), or was redirected to one, or too many times.
	ErrBadURL = errors.New("URL not allowed")
)

// Fallback reports whether err means the file cannot go through the
// user's server's upload service but could be served by the built-in
// server: no service, too large for it, refused, or its quota is reached.
// Other errors (link down, timeouts, HTTP 5xx) are transient: retrying the
// upload later may work.
func Fallback(err error) bool {
	return errors.Is(err, ErrNoService) || errors.Is(err, ErrTooLarge) ||
		errors.Is(err, ErrRefused) || errors.Is(err, ErrQuota)
}

// TooLargeError is a file over a size limit; errors.Is(err, ErrTooLarge).
type TooLargeError struct {
	// Limit is the largest size accepted, in bytes; 0 when not known.
	Limit int64
	// Size is the file's size when known, else 0.
	Size int64
}

func (e *TooLargeError) Error() string {
	switch {
	case e.Limit > 0 && e.Size > 0:
		return fmt.Sprintf("file too large: %d bytes, the limit is %d", e.Size, e.Limit)
	case e.Limit > 0:
		return fmt.Sprintf("file too large: over the limit of %d bytes", e.Limit)
	}
	return "file too large"
}

// Is makes errors.Is(err, ErrTooLarge) hold.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// HTTPError is an HTTP answer other than success.
type HTTPError struct {
	Method string
	// URL is the address requested, without its query.
	URL        string
	StatusCode int
	Status     string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s %s: %s", e.Method, e.URL, e.Status)
}

// Is makes a 413 answer read as ErrTooLarge.
func (e *HTTPError) Is(target error) bool {
	return target == ErrTooLarge && e.StatusCode == http.StatusRequestEntityTooLarge
}

// maxNameBytes bounds file names: most file systems refuse longer ones.
const maxNameBytes = 200

// SafeName makes a file name safe to show and to store: the last element
// of a path (either slash), without control characters, not "." nor "..",
// without leading dots or surrounding spaces, at most 200 bytes (the
// extension kept), and valid UTF-8. It returns "" when nothing is left.
func SafeName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, name)
	// No hidden files, no "..", no ".": dots and spaces go together, or
	// ". .." would trim down to "..".
	name = strings.TrimLeftFunc(name, func(r rune) bool { return r == '.' || unicode.IsSpace(r) })
	name = strings.TrimRightFunc(name, unicode.IsSpace)
	if len(name) > maxNameBytes {
		ext := path.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		base := name[:maxNameBytes-len(ext)]
		for !utf8.ValidString(base) {
			base = base[:len(base)-1]
		}
		base = strings.TrimRightFunc(base, unicode.IsSpace)
		name = base + ext
	}
	return name
}

// FileType is the MIME type to state of a file a network named name and
// typed declared: declared when it parses (whoever sent the file chose
// it: a line break in it would break a header, a stanza's metadata),
// else by the name's extension, else application/octet-stream.
func FileType(declared, name string) string {
	return detectMIME(declared, SafeName(name), nil)
}

// detectMIME picks a file's MIME type: the declared one unless it is empty
// or the generic application/octet-stream, else by the name's extension,
// else sniffed from its first bytes. Parameters (charset) are kept only
// for text types.
func detectMIME(declared, name string, head []byte) string {
	if mt, params, err := mime.ParseMediaType(declared); err == nil && mt != "application/octet-stream" {
		if cs := params["charset"]; cs != "" && strings.HasPrefix(mt, "text/") {
			return mime.FormatMediaType(mt, map[string]string{"charset": cs})
		}
		return mt
	}
	if ext := path.Ext(name); ext != "" {
		if t := mime.TypeByExtension(strings.ToLower(ext)); t != "" {
			return t
		}
	}
	if len(head) > 0 {
		return http.DetectContentType(head)
	}
	return "application/octet-stream"
}

// headWriter keeps the first 512 bytes written through it, for sniffing.
type headWriter struct {
	head []byte
}

func (h *headWriter) Write(p []byte) (int, error) {
	if n := 512 - len(h.head); n > 0 {
		h.head = append(h.head, p[:min(n, len(p))]...)
	}
	return len(p), nil
}

// ctxReader fails reads once ctx ends, so that a copy from a reader that
// knows nothing of contexts still stops.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// redactURL drops the query (which may carry a signature) for messages.
func redactURL(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return u[:i]
	}
	return u
}

// redactErr drops the query from the URL an HTTP client's error names
// (net/http's *url.Error quotes the whole request URL).
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = redactURL(ue.URL)
	}
	return err
}
