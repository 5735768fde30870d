package signal

import (
	"context"
	"log/slog"
	"maps"
	"path/filepath"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// loadToldSets reads the told sets kept in the login's folder dir under
// file ("" dir: in memory only); what names them in the log, cost says
// what a damaged file costs.
func loadToldSets(dir, file, what, cost string, log *slog.Logger) *sdk.ToldSets {
	path := ""
	if dir != "" {
		path = filepath.Join(dir, file)
	}
	return sdk.LoadToldSets(path, what, cost, log)
}

// onTheWay are the things whose notice is on its way to the host, by
// key: told already in memory (a second telling meanwhile is refused),
// while the disk keeps each as it was before (was) until the host
// confirms its notice. Noted told on disk first, a process killed
// before the host had the notice started with it told and told it
// never: its envelope, handled again, found it told. Kept as it was, it
// is told again at the next start, under the same event IDs, which the
// host drops if it had them. The owner's lock guards it; the zero value
// is ready.
type onTheWay[V any] struct {
	was map[string]*V // as the disk keeps it meanwhile; nil: absent
	n   map[string]int
}

// claim notes key's notice on its way, unless it is already (false).
func (w *onTheWay[V]) claim(key string) bool {
	if w.held(key) {
		return false
	}
	w.hold(key, nil)
	return true
}

// hold notes key's notice on its way, m (the owner's map) as it is now
// being what the disk keeps of key until the last hold of it is
// released: a second hold keeps the first's.
func (w *onTheWay[V]) hold(key string, m map[string]V) {
	if w.n == nil {
		w.n, w.was = map[string]int{}, map[string]*V{}
	}
	if w.n[key]++; w.n[key] > 1 {
		return
	}
	if v, ok := m[key]; ok {
		w.was[key] = &v
	} else {
		w.was[key] = nil
	}
}

// held reports whether key's notice is on its way.
func (w *onTheWay[V]) held(key string) bool { return w.n[key] > 0 }

// release closes a claim or hold of key: its notice confirmed (the
// caller writes it next), or not (the caller puts back what was).
func (w *onTheWay[V]) release(key string) {
	if w.n[key]--; w.n[key] <= 0 {
		delete(w.n, key)
		delete(w.was, key)
	}
}

// before is what the disk keeps of key while it is held; ok false when
// it was absent.
func (w *onTheWay[V]) before(key string) (v V, ok bool) {
	if p := w.was[key]; p != nil {
		return *p, true
	}
	return v, false
}

// disk is m as the disk is to keep it: those on their way as they were
// before. m itself when none is.
func (w *onTheWay[V]) disk(m map[string]V) map[string]V {
	if len(w.n) == 0 {
		return m
	}
	out := maps.Clone(m)
	for key, was := range w.was {
		if was == nil {
			delete(out, key)
		} else {
			out[key] = *was
		}
	}
	return out
}

// tellOnce emits evs, which tell what key names, unless it was told
// (told, as the disk keeps it) or is on its way (w, under s.mu), and
// has note write it told once the host confirmed them all. Not
// confirmed, it stays untold: its envelope is handled again at the
// next start (the inbox keeps it), which tells it then.
func (s *Session) tellOnce(ctx context.Context, w *onTheWay[struct{}], key string, told func() bool, note func(), evs ...*pb.Event) {
	s.mu.Lock()
	claimed := w.claim(key)
	s.mu.Unlock()
	if !claimed {
		return
	}
	defer func() {
		s.mu.Lock()
		w.release(key)
		s.mu.Unlock()
	}()
	if told() || !s.emitConfirmed(ctx, evs...) {
		return
	}
	note()
}
