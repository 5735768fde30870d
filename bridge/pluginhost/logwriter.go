package pluginhost

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
)

// logWriter folds a plugin's stderr into the gateway's log: JSON lines
// (slog from the SDK, hclog from go-plugin) keep their level and
// attributes; anything else (a panic trace) is logged as it is.
type logWriter struct {
	log *slog.Logger
	mu  sync.Mutex
	buf []byte
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.line(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 64<<10 {
		w.line(w.buf)
		w.buf = w.buf[:0]
	}
	return len(p), nil
}

func (w *logWriter) line(b []byte) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return
	}
	var m map[string]any
	if b[0] != '{' || json.Unmarshal(b, &m) != nil {
		w.log.Info(string(b))
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
