package media

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"passerelle.im/passerelle/bridge/metrics"
)

// DefaultExpiry is how long the built-in server keeps a file when Config
// says nothing.
const DefaultExpiry = 7 * 24 * time.Hour

// Config is the built-in HTTP server's setup ([media] in passerelle.toml).
type Config struct {
	// Listen is the host:port to listen on: NewServer binds it, so that
	// a port in use fails at start, and Run serves on it. Handler does
	// not need it.
	Listen string
	// PublicURL is the address clients reach the server at, e.g.
	// https://xmpp.example.org/passerelle (behind a reverse proxy that
	// adds TLS). File URLs are PublicURL/<token>/<name>.
	PublicURL string
	// MaxBytes is the largest file Put takes; 0 means DefaultMaxBytes.
	MaxBytes int64
	// Expiry is how long a file is served after Put; 0 means DefaultExpiry.
	Expiry time.Duration
	// Dir keeps the files; created with mode 0700 if missing.
	Dir string
	// Log gets pruning problems; nil discards.
	Log *slog.Logger
}

// Server keeps files the gateway could not upload to the user's server
// and serves them over HTTP at unguessable URLs until they expire.
//
// Each file lives in Dir/<token>/ as "data" and "meta.json", written in a
// temporary folder and renamed into place, so a reader never sees half a
// file. The token is 26 base32 characters from crypto/rand.Text (130 random bits): knowing it is the
// only access control, as for XEP-0363 GET URLs.
type Server struct {
	cfg    Config
	public *url.URL
	log    *slog.Logger
	now    func() time.Time
	ln     net.Listener // bound by NewServer when Config.Listen is set
}

type meta struct {
	Name    string    `json:"name"`
	MIME    string    `json:"mime"`
	Size    int64     `json:"size"`
	Created time.Time `json:"created"`
}

const (
	tmpPrefix = ".tmp-"
	dataFile  = "data"
	metaFile  = "meta.json"
	// tokenLen is the length of crypto/rand.Text's output: 26 base32
	// characters, 130 bits.
	tokenLen = 26
	// stallTimeout bounds how long a download may make no progress.
	stallTimeout = time.Minute
)

// NewServer checks cfg, creates Dir, prunes expired files and, when
// cfg.Listen is set, listens on it (Run serves there).
func NewServer(cfg Config) (*Server, error) {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Expiry <= 0 {
		cfg.Expiry = DefaultExpiry
	}
	if cfg.Dir == "" {
		return nil, errors.New("media server: no folder for the files")
	}
	u, err := url.Parse(strings.TrimRight(cfg.PublicURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("media server: public URL %q: want http(s)://host[:port][/path]", cfg.PublicURL)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("media server: %w", err)
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, public: u, log: log, now: time.Now}
	if _, err := s.Prune(); err != nil {
		return nil, fmt.Errorf("media server: prune: %w", err)
	}
	if cfg.Listen != "" {
		ln, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("media.listen %s: %w%s", cfg.Listen, err, metrics.ListenHint(err, "[media] listen"))
		}
		s.ln = ln
	}
	return s, nil
}

// MaxBytes is the largest file Put takes.
func (s *Server) MaxBytes() int64 { return s.cfg.MaxBytes }

// Put stores a file read from r and returns the URL it is served at, and
// its size. It streams r to disk and stops past MaxBytes with a
// *TooLargeError (errors.Is ErrTooLarge), leaving nothing behind. An empty
// mime is guessed from the name's extension, else sniffed.
func (s *Server) Put(ctx context.Context, name, mimeType string, r io.Reader) (fileURL string, size int64, err error) {
	name = SafeName(name)
	if name == "" {
		name = "file"
	}
	tmp, err := os.MkdirTemp(s.cfg.Dir, tmpPrefix)
	if err != nil {
		return "", 0, fmt.Errorf("media server: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	f, err := os.OpenFile(filepath.Join(tmp, dataFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", 0, fmt.Errorf("media server: %w", err)
	}
	var head headWriter
	n, err := io.Copy(io.MultiWriter(f, &head), io.LimitReader(ctxReader{ctx, r}, s.cfg.MaxBytes+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, fmt.Errorf("media server: store %s: %w", name, err)
	}
	if n > s.cfg.MaxBytes {
		return "", 0, fmt.Errorf("media server: %s: %w", name, &TooLargeError{Limit: s.cfg.MaxBytes})
	}
	m := meta{Name: name, MIME: detectMIME(mimeType, name, head.head), Size: n, Created: s.now().UTC()}
	js, err := json.Marshal(m)
	if err != nil {
		return "", 0, err
	}
	if err := os.WriteFile(filepath.Join(tmp, metaFile), js, 0o600); err != nil {
		return "", 0, fmt.Errorf("media server: %w", err)
	}
	token := rand.Text()
	if err := os.Rename(tmp, filepath.Join(s.cfg.Dir, token)); err != nil {
		return "", 0, fmt.Errorf("media server: %w", err)
	}
	return s.public.String() + "/" + token + "/" + url.PathEscape(name), n, nil
}

// validToken reports whether t looks like a token Put made, so that no
// request path ever reaches the file system unchecked.
func validToken(t string) bool {
	if len(t) != tokenLen {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// load reads a stored file's metadata; ok is false when it is unknown or
// expired.
func (s *Server) load(token string) (m meta, ok bool) {
	if !validToken(token) {
		return meta{}, false
	}
	js, err := os.ReadFile(filepath.Join(s.cfg.Dir, token, metaFile))
	if err != nil || json.Unmarshal(js, &m) != nil {
		return meta{}, false
	}
	if s.expired(m) {
		return meta{}, false
	}
	return m, true
}

func (s *Server) expired(m meta) bool {
	return !s.now().Before(m.Created.Add(s.cfg.Expiry))
}

// Handler serves the stored files: GET or HEAD of [PublicURL's
// path]/<token>[/<name>]. The name is decoration; the token alone finds
// the file. Unknown and expired files are 404.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(s.serve)
}

// inlineTypes are shown in the browser; anything else is downloaded.
var inlineTypes = []string{"image/", "video/", "audio/", "text/plain"}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if prefix := strings.TrimRight(s.public.Path, "/"); prefix != "" {
		p = strings.TrimPrefix(p, prefix) // served behind a proxy that may or may not strip it
	}
	p = strings.TrimPrefix(p, "/")
	token, _, _ := strings.Cut(p, "/")
	m, ok := s.load(token)
	if !ok {
		http.NotFound(w, r)
		return
	}
	f, err := os.Open(filepath.Join(s.cfg.Dir, token, dataFile))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", m.MIME)
	disposition := "attachment"
	for _, t := range inlineTypes {
		if strings.HasPrefix(m.MIME, t) {
			disposition = "inline"
		}
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": m.Name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "private, max-age="+fmt.Sprint(int64(s.cfg.Expiry/time.Second)))
	// ServeContent sets Content-Length, answers HEAD, ranges and
	// If-Modified-Since.
	http.ServeContent(&stallWriter{w: w, rc: http.NewResponseController(w)}, r, "", m.Created, f)
}

// stallWriter pushes the write deadline forward on each write, so that a
// slow download of a large file goes on while a stalled one is cut.
type stallWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (s *stallWriter) Header() http.Header  { return s.w.Header() }
func (s *stallWriter) WriteHeader(code int) { s.w.WriteHeader(code) }
func (s *stallWriter) Write(p []byte) (int, error) {
	s.rc.SetWriteDeadline(time.Now().Add(stallTimeout))
	return s.w.Write(p)
}

// Prune removes expired files and what interrupted Puts left behind. It
// returns how many files it removed.
func (s *Server) Prune() (int, error) {
	ents, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		return 0, err
	}
	removed := 0
	var errs []error
	for _, e := range ents {
		name := e.Name()
		full := filepath.Join(s.cfg.Dir, name)
		switch {
		case strings.HasPrefix(name, tmpPrefix):
			// A Put under way is younger than this. (File times are
			// the system's: compare with the system clock.)
			if stale(full) && stale(filepath.Join(full, dataFile)) {
				errs = append(errs, os.RemoveAll(full))
			}
		case validToken(name) && e.IsDir():
			var m meta
			js, err := os.ReadFile(filepath.Join(full, metaFile))
			if err == nil {
				err = json.Unmarshal(js, &m)
			}
			if err != nil || s.expired(m) {
				if err := os.RemoveAll(full); err != nil {
					errs = append(errs, err)
				} else {
					removed++
				}
			}
		}
	}
	return removed, errors.Join(errs...)
}

// stale reports whether path was last written over an hour ago, or is
// gone.
func stale(path string) bool {
	fi, err := os.Stat(path)
	return err != nil || time.Since(fi.ModTime()) > time.Hour
}

// pruneEvery is how often Run prunes: a 24th of the expiry, within a
// minute and an hour.
func (s *Server) pruneEvery() time.Duration {
	return min(max(s.cfg.Expiry/24, time.Minute), time.Hour)
}

// Run serves on Config.Listen, bound by NewServer, until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	if s.ln == nil {
		return errors.New("media server: no listen address")
	}
	return s.Serve(ctx, s.ln)
}

// Serve serves on ln until ctx ends, pruning expired files periodically;
// it closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      stallTimeout, // pushed forward while a download progresses
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	done := make(chan struct{})    // Serve returned
	stopped := make(chan struct{}) // the pruner and shutdown are over
	go func() {
		defer close(stopped)
		t := time.NewTicker(s.pruneEvery())
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if n, err := s.Prune(); err != nil {
					s.log.Warn("media: pruning expired files", "err", err, "removed", n)
				} else if n > 0 {
					s.log.Debug("media: expired files removed", "count", n)
				}
			case <-ctx.Done():
				// Let downloads under way finish, a little.
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				hs.Shutdown(sctx)
				cancel()
				hs.Close()
				return
			case <-done:
				return
			}
		}
	}()
	err := hs.Serve(ln)
	close(done)
	<-stopped
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("media server: %w", err)
}
