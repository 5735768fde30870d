package background

import (
	"runtime"
	"testing"
)

// TestRunNice: fn runs on a thread whose priority is lower than
// the caller's by backgroundNice, with one more P; the caller's thread
// keeps its priority, and GOMAXPROCS is given back.
func TestRunNice(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	base, err := threadNice()
	if err != nil {
		t.Fatal(err)
	}
	procs := runtime.GOMAXPROCS(0)
	var inside, insideProcs int
	var insideErr error
	Run(func() {
		inside, insideErr = threadNice()
		insideProcs = runtime.GOMAXPROCS(0)
	})
	if insideErr != nil {
		t.Fatal(insideErr)
	}
	if want := min(base+backgroundNice, 19); inside != want {
		t.Errorf("nice inside = %d, want %d", inside, want)
	}
	if insideProcs != procs+1 {
		t.Errorf("GOMAXPROCS inside = %d, want %d", insideProcs, procs+1)
	}
	if after, _ := threadNice(); after != base {
		t.Errorf("caller's nice after = %d, want %d", after, base)
	}
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("GOMAXPROCS after = %d, want %d", got, procs)
	}
}
