// Package recent is a map that keeps only its newest keys, for what the
// Telegram plugin and its bot mode remember of the latest messages
// (shown texts, reply quotes, read IDs) and of custom emoji
// (customemoji).
package recent

import "sync"

// Map keeps only its newest keys. Its zero value is empty and ready; it
// is safe for concurrent use.
type Map[K comparable, V any] struct {
	mu    sync.Mutex
	m     map[K]V
	order []K // oldest first, each key once
}

// Put sets k to v, forgetting the oldest key when more than limit are kept.
func (r *Map[K, V]) Put(k K, v V, limit int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[K]V{}
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

// Get is k's value, if kept.
func (r *Map[K, V]) Get(k K) (V, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.m[k]
	return v, ok
}

// Update changes k's value with f, if kept.
func (r *Map[K, V]) Update(k K, f func(V) V) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.m[k]; ok {
		r.m[k] = f(v)
	}
}

// Delete forgets k.
func (r *Map[K, V]) Delete(k K) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.m[k]; !ok {
		return
	}
	delete(r.m, k)
	for i, o := range r.order {
		if o == k {
			r.order = append(r.order[:i], r.order[i+1:]...)
			break
		}
	}
}

// Len is how many keys are kept.
func (r *Map[K, V]) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.m)
}
