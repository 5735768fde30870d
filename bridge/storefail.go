package bridge

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// storeFailEvery is how often a store failure that repeats is logged
// again, with the count of those not logged meanwhile. A variable for
// the tests.
var storeFailEvery = time.Minute

// storeFailLog keeps a store that fails for every message (its disk
// full) from logging a line or two per message: each kind of write that
// fails is logged once, then every storeFailEvery with the count
// suppressed, and the first write of that kind that works again says so.
// A failure of another cause (cause) is logged at once: the disk full,
// then failing, is two things the admin must hear of.
type storeFailLog struct {
	mu    sync.Mutex
	kinds map[string]*storeFailKind
}

// storeFailKind is one kind of write's failures since it last worked.
type storeFailKind struct {
	failed int       // writes failed
	last   time.Time // last logged, zero if not (storeRetry logs its own)
	cause  string    // the cause of the failure last logged
	quiet  int       // lines suppressed since
}

// fail counts a failed write of kind; msg with err is logged at level
// unless it was logged less than storeFailEvery ago. An empty msg counts
// only (the caller logs at its own pace).
func (l *storeFailLog) fail(log *slog.Logger, level slog.Level, kind, msg string, err error) {
	now := time.Now()
	l.mu.Lock()
	if l.kinds == nil {
		l.kinds = map[string]*storeFailKind{}
	}
	k := l.kinds[kind]
	if k == nil {
		k = &storeFailKind{}
		l.kinds[kind] = k
	}
	k.failed++
	if msg == "" {
		l.mu.Unlock()
		return
	}
	last, n, c := k.last, k.quiet, cause(err)
	if !last.IsZero() && now.Sub(last) < storeFailEvery && c == k.cause {
		k.quiet++
		l.mu.Unlock()
		return
	}
	k.last, k.quiet, k.cause = now, 0, c
	l.mu.Unlock()
	attrs := []any{"err", err}
	if last.IsZero() {
		attrs = append(attrs, "repeats", "logged again every "+storeFailEvery.String()+" while it lasts")
	} else {
		attrs = append(attrs, "suppressed", n)
	}
	log.Log(context.Background(), level, msg, attrs...)
}

// worked notes a write of kind that went through: after failures of
// that kind, it says storing works again.
func (l *storeFailLog) worked(log *slog.Logger, kind string) {
	l.mu.Lock()
	k := l.kinds[kind]
	delete(l.kinds, kind)
	l.mu.Unlock()
	if k != nil {
		log.Info("storing works again", "what", kind, "failed_writes", k.failed)
	}
}

// cause is the innermost error of err's chain, as text: the same for
// each failure of one cause whatever the file or record it names (a full
// disk's is "no space left on device").
func cause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			if err == nil {
				return ""
			}
			return err.Error()
		}
		err = next
	}
}
