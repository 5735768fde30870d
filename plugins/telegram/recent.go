package telegram

import "sync"

// recent is a map that keeps only its newest keys: what the plugin
// remembers of the latest messages (shown.go, quote.go). Its zero value
// is empty and ready.
type recent[V any] struct {
	mu    sync.Mutex
	m     map[string]V
	order []string // oldest first, each key once
}

// put sets k to v, forgetting the oldest key when more than limit are kept.
func (r *recent[V]) put(k string, v V, limit int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]V{}
	}
	if _, known := r.m[k]; !known {
		r.order = append(r.order, k)
		if len(r.order) > limit {
			delete(r.m, r.order[0])
			r.order = r.order[1:]
		}
	}
	r.m[k] = v
}

// get is k's value, if kept.
func (r *recent[V]) get(k string) (V, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.m[k]
	return v, ok
}

// update changes k's value with f, if kept.
func (r *recent[V]) update(k string, f func(V) V) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.m[k]; ok {
		r.m[k] = f(v)
	}
}
