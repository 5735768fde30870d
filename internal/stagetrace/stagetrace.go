// Package stagetrace is a diagnostic for the load tool. When the
// PASSERELLE_STAGE_TRACE environment variable names a folder, each process
// that calls Mark records the wall-clock time every load-tool message (a
// text starting "pb") passed each of its stages, into
// <folder>/<program>.<pid>.stages: the gateway, and the load tool's build
// of the echo plugin (passerelle-bench-echo, through the SDK's WithTrace
// hook; the plugin host passes the variable on). The tool joins the files
// by message to split a round trip into hops. Unset, Mark costs one
// branch.
//
// Wall-clock times (CLOCK_REALTIME) are one clock for every process on a
// machine, so differences between processes are meaningful to the
// microsecond unless the clock is stepped meanwhile.
package stagetrace

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Env is the variable that turns recording on.
const Env = "PASSERELLE_STAGE_TRACE"

// Stages of the gateway and the plugin SDK, in path order (the plugin's
// are sdk.StageCommand and sdk.StageEvent, checked by passerelle-bench's
// TestPluginStageNames).
const (
	GatewayIn  = "gw-in"  // a user's stanza decoded from the server's stream
	GatewayCmd = "gw-cmd" // its command handed to the plugin stream
	PluginCmd  = "pl-cmd" // the command read by the plugin
	PluginEv   = "pl-ev"  // the resulting event handed to the event stream
	GatewayEv  = "gw-ev"  // the event read by the gateway
	GatewayOut = "gw-out" // its stanza written to the server's socket
)

type recorder struct {
	mu  sync.Mutex
	buf []byte
	w   *bufio.Writer
}

var rec = start(os.Getenv(Env))

func start(dir string) *recorder {
	if dir == "" {
		return nil
	}
	name := filepath.Join(dir, fmt.Sprintf("%s.%d.stages", filepath.Base(os.Args[0]), os.Getpid()))
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		fmt.Fprintf(os.Stderr, "stagetrace: %v; not recording\n", err)
		return nil
	}
	r := &recorder{w: bufio.NewWriterSize(f, 64<<10)}
	go r.flushLoop()
	return r
}

// The records reach the file every 50 ms, off the message path; the tool
// waits longer than that before reading.
func (r *recorder) flushLoop() {
	for range time.Tick(50 * time.Millisecond) {
		r.mu.Lock()
		b := r.buf
		r.buf = nil
		r.mu.Unlock()
		if len(b) > 0 {
			r.w.Write(b)
			r.w.Flush()
		}
	}
}

// Enabled reports whether Mark records anything, for callers that must
// work to find the text.
func Enabled() bool { return rec != nil }

// Mark records that the message with this text passed stage now. Only
// load-tool messages are recorded, under their key "pb<phase>:<user>:<seq>".
func Mark(stage, text string) {
	if rec == nil {
		return
	}
	key, ok := Key(text)
	if !ok {
		return
	}
	now := time.Now().UnixNano()
	rec.mu.Lock()
	rec.buf = append(rec.buf, stage...)
	rec.buf = append(rec.buf, ' ')
	rec.buf = append(rec.buf, key...)
	rec.buf = append(rec.buf, ' ')
	rec.buf = strconv.AppendInt(rec.buf, now, 10)
	rec.buf = append(rec.buf, '\n')
	rec.mu.Unlock()
}

// Key is a load-tool message's key: its text up to the third colon.
func Key(text string) (string, bool) {
	if !strings.HasPrefix(text, "pb") {
		return "", false
	}
	n := 0
	for i := 2; i < len(text); i++ {
		if text[i] == ':' {
			if n++; n == 3 {
				return text[:i], true
			}
		}
	}
	return "", false
}

// Record is one line of a stages file.
type Record struct {
	Stage, Key string
	At         int64 // Unix nanoseconds
}

// ReadDir reads every stages file in dir, keeping the records whose key
// starts with prefix.
func ReadDir(dir, prefix string) ([]Record, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.stages"))
	if err != nil {
		return nil, fmt.Errorf("stagetrace: %w", err)
	}
	var out []Record
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("stagetrace: %w", err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			parts := strings.Fields(sc.Text())
			if len(parts) != 3 || !strings.HasPrefix(parts[1], prefix) {
				continue
			}
			at, err := strconv.ParseInt(parts[2], 10, 64)
			if err != nil {
				continue
			}
			out = append(out, Record{Stage: parts[0], Key: parts[1], At: at})
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("stagetrace: %s: %w", name, err)
		}
	}
	return out, nil
}
