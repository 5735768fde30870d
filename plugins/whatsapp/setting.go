package whatsapp

import "sync/atomic"

// setting is a package value that tests change (a wait shortened, the
// clock moved, a write made to fail) while background work of other
// tests' sessions may read it: a channel catch-up, a history push, a
// reconnection or a login's wait go on past their test (Disconnect does
// not wait for them). Atomic, so that such a read sees a whole value
// and -race nothing to report; groupReadWaitNS is the same for a
// duration alone.
type setting[T any] struct{ p atomic.Pointer[T] }

// newSetting is a setting of v.
func newSetting[T any](v T) *setting[T] {
	s := &setting[T]{}
	s.set(v)
	return s
}

// get is the value now.
func (s *setting[T]) get() T { return *s.p.Load() }

// set replaces the value.
func (s *setting[T]) set(v T) { s.p.Store(&v) }
