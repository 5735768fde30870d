package pluginhost

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Bounds on a plugin's log: its lines share the gateway's log (and
// journald's rate limit, which past its burst drops the gateway's own
// lines too), so a plugin that logs in a loop, or a line of megabytes,
// must not flood it. Variables for the tests.
var (
	// maxLogLine is the most of one line logged; the rest is counted.
	maxLogLine = 16 << 10
	// logBurst lines are logged at once, then logRate a second.
	logBurst = 5000
	logRate  = 500.0
)

// logWriter folds a plugin's stderr into the gateway's log: JSON lines
// (slog from the SDK, hclog from go-plugin) keep their level and
// attributes; a line starting [WARN], [ERROR], ... (go-plugin's
// convention) has that level; a panic's or a fatal error's trace is
// logged at error; anything else is logged as it is, at info. A line over
// maxLogLine is cut, and lines past the rate (logBurst, logRate) are
// dropped, said once, and counted when the plugin's log slows down.
type logWriter struct {
	log *slog.Logger
	mu  sync.Mutex
	buf []byte
	// cut counts the bytes of the current line past maxLogLine.
	cut     int
	inPanic bool
	// The rate limit: tokens left, as of last.
	tokens float64
	last   time.Time
	// dropped lines and bytes since the last line logged.
	dropped, droppedBytes int
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		part := p
		if i >= 0 {
			part = p[:i]
		}
		if room := maxLogLine - len(w.buf); room > 0 {
			k := min(room, len(part))
			w.buf = append(w.buf, part[:k]...)
			w.cut += len(part) - k
		} else {
			w.cut += len(part)
		}
		if i < 0 {
			break
		}
		w.line(w.buf, w.cut)
		w.buf, w.cut = w.buf[:0], 0
		p = p[i+1:]
	}
	return n, nil
}

// allow takes a token for one line, if the rate leaves one.
func (w *logWriter) allow(now time.Time) bool {
	if w.last.IsZero() {
		w.tokens = float64(logBurst)
	} else {
		w.tokens = min(float64(logBurst), w.tokens+now.Sub(w.last).Seconds()*logRate)
	}
	w.last = now
	if w.tokens < 1 {
		return false
	}
	w.tokens--
	return true
}

// line logs one line of the plugin's, cut bytes cut off its end.
func (w *logWriter) line(b []byte, cut int) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 && cut == 0 {
		return
	}
	if !w.allow(time.Now()) {
		if w.dropped == 0 {
			w.log.Warn("the plugin logs more than the gateway keeps; its lines are dropped until it slows down", "burst", logBurst, "per_second", logRate)
		}
		w.dropped++
		w.droppedBytes += len(b) + cut
		return
	}
	if w.dropped > 0 {
		w.log.Warn("the plugin's log slowed down; lines of it were dropped", "lines", w.dropped, "bytes", w.droppedBytes)
		w.dropped, w.droppedBytes = 0, 0
	}
	var cutAttr []slog.Attr
	if cut > 0 {
		cutAttr = []slog.Attr{slog.Int("cut_bytes", cut)}
	}
	var m map[string]any
	if cut > 0 || len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &m) != nil {
		s := string(b)
		level := slog.LevelInfo
		if l, ok := prefixLevel(s); ok {
			level = l
		} else if strings.HasPrefix(s, "panic: ") || strings.HasPrefix(s, "fatal error: ") {
			w.inPanic = true
		}
		if w.inPanic {
			level = slog.LevelError
		}
		w.log.LogAttrs(context.Background(), level, s, cutAttr...)
		return
	}
	level := slog.LevelInfo
	msg := ""
	var attrs []slog.Attr
	for k, v := range m {
		switch k {
		case "level", "@level":
			level = parseLevel(v)
		case "msg", "@message":
			msg, _ = v.(string)
		case "time", "@timestamp", "@caller":
		default:
			attrs = append(attrs, slog.Any(strings.TrimPrefix(k, "@"), v))
		}
	}
	w.log.LogAttrs(context.Background(), level, msg, attrs...)
}

// prefixLevel is the level a plain line names at its start, as go-plugin
// reads them: "[WARN] ...".
func prefixLevel(s string) (slog.Level, bool) {
	for _, p := range [...]struct {
		prefix string
		level  slog.Level
	}{{"[TRACE]", slog.LevelDebug}, {"[DEBUG]", slog.LevelDebug}, {"[INFO]", slog.LevelInfo}, {"[WARN]", slog.LevelWarn}, {"[ERROR]", slog.LevelError}} {
		if strings.HasPrefix(s, p.prefix) {
			return p.level, true
		}
	}
	return 0, false
}

func parseLevel(v any) slog.Level {
	s, _ := v.(string)
	switch strings.ToLower(s) {
	case "debug", "trace":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// stderrMuted is go-plugin's logger without its copy of the plugin's
// stderr: go-plugin logs each stderr line again, under a logger named
// after the plugin's file, beside handing it to logWriter, which made
// every warning, error and panic line of a plugin show twice.
type stderrMuted struct {
	hclog.Logger
	name string // the plugin's file name
}

func muteStderr(l hclog.Logger, path string) hclog.Logger {
	return stderrMuted{Logger: l, name: filepath.Base(path)}
}

func (l stderrMuted) Named(name string) hclog.Logger {
	if name == l.name {
		return hclog.New(&hclog.LoggerOptions{Level: hclog.Off, Output: io.Discard})
	}
	return stderrMuted{Logger: l.Logger.Named(name), name: l.name}
}
