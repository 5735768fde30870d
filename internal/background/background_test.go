package background

import (
	"runtime"
	"sync"
	"testing"
)

func TestWithExtraP(t *testing.T) {
	base := runtime.GOMAXPROCS(0)
	var during int
	WithExtraP(func() { during = runtime.GOMAXPROCS(0) })
	if during != base+1 {
		t.Errorf("GOMAXPROCS during fn = %d, want %d", during, base+1)
	}
	if got := runtime.GOMAXPROCS(0); got != base {
		t.Errorf("GOMAXPROCS after = %d, want %d back", got, base)
	}

	// Overlapping calls each add one, and the last to end restores base.
	inA, inB, endA := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var both int
	var wg sync.WaitGroup
	wg.Go(func() {
		WithExtraP(func() {
			close(inA)
			<-endA
		})
	})
	<-inA
	wg.Go(func() {
		WithExtraP(func() {
			both = runtime.GOMAXPROCS(0)
			close(inB)
		})
	})
	<-inB
	close(endA)
	wg.Wait()
	if both != base+2 {
		t.Errorf("GOMAXPROCS with two calls in = %d, want %d", both, base+2)
	}
	if got := runtime.GOMAXPROCS(0); got != base {
		t.Errorf("GOMAXPROCS after both = %d, want %d back", got, base)
	}
}
