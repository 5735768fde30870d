package whatsapp

import (
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"passerelle.im/passerelle/plugins/sdk"
)

// setFor sets s to v for the rest of the test.
func setFor[T any](t *testing.T, s *setting[T], v T) {
	t.Helper()
	old := s.get()
	s.set(v)
	t.Cleanup(func() { s.set(old) })
}

// durableWrites has the writes through w (stateWriter, writeExposed) made
// durably as ever, and returns what lists the names of the files written
// under dir, in order: the test's own, not those background work of
// other tests' sessions writes meanwhile through the same setting.
func durableWrites(t *testing.T, w *setting[func(string, []byte) error], dir string) func() []string {
	t.Helper()
	var mu sync.Mutex
	var wrote []string
	setFor(t, w, func(path string, b []byte) error {
		if strings.HasPrefix(path, dir+string(filepath.Separator)) {
			mu.Lock()
			wrote = append(wrote, filepath.Base(path))
			mu.Unlock()
		}
		return sdk.WriteFileDurably(path, b)
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(wrote)
	}
}
