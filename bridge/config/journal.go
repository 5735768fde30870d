package config

import (
	"bytes"
	"io"
	"log/slog"
	"os"
)

// journalWriter prefixes each text log line with its syslog priority
// ("<3>" for an error), which journald reads off a service's stderr:
// without it every line was priority 6, so journalctl -p warning
// showed nothing and errors were not highlighted. It relies on the
// lines it is given starting with "level=" (the time dropped, see
// dropTime) and coming one record a Write, as slog's TextHandler writes
// them.
type journalWriter struct{ w io.Writer }

func (j journalWriter) Write(p []byte) (int, error) {
	prefix := journalPriority(p)
	if prefix == "" {
		return j.w.Write(p)
	}
	if _, err := j.w.Write(append([]byte(prefix), p...)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// journalPriority is the sd-daemon(3) prefix for a line starting with
// slog's level, "" for another line.
func journalPriority(line []byte) string {
	rest, ok := bytes.CutPrefix(line, []byte(slog.LevelKey+"="))
	if !ok {
		return ""
	}
	switch {
	case bytes.HasPrefix(rest, []byte("ERROR")):
		return "<3>"
	case bytes.HasPrefix(rest, []byte("WARN")):
		return "<4>"
	case bytes.HasPrefix(rest, []byte("INFO")):
		return "<6>"
	case bytes.HasPrefix(rest, []byte("DEBUG")):
		return "<7>"
	}
	return ""
}

// dropTime drops a record's time (a ReplaceAttr).
func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// ErrorOutput returns w for writing error lines that come before the
// logger (the configuration's problems, one a line): w itself, or, when
// w is systemd's journal stream, w with each line given the error
// priority, so that journalctl -p err shows why the service stopped.
func ErrorOutput(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok && toJournal(f) {
		return &errorLines{w: f, start: true}
	}
	return w
}

// errorLines prefixes each line written to w with "<3>".
type errorLines struct {
	w     io.Writer
	start bool // the next byte begins a line
}

func (e *errorLines) Write(p []byte) (int, error) {
	n := len(p)
	var out []byte
	for len(p) > 0 {
		if e.start {
			out = append(out, "<3>"...)
		}
		line, rest, nl := bytes.Cut(p, []byte("\n"))
		out = append(out, line...)
		if nl {
			out = append(out, '\n')
		}
		e.start = nl
		p = rest
	}
	if _, err := e.w.Write(out); err != nil {
		return 0, err
	}
	return n, nil
}
