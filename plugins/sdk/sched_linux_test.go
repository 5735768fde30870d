package sdk

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"passerelle.im/passerelle/internal/schedclass"
)

// schedChildEnv makes the test binary act as schedChild instead of running
// tests: the class is per thread and inherited, so each case needs a
// process of its own.
const schedChildEnv = "PASSERELLE_TEST_SCHED_CHILD"

// schedReport is what a child process saw.
type schedReport struct {
	Yielded bool
	Err     string
	Before  map[uint32]int // thread count per scheduling class, at start
	After   map[uint32]int // after YieldToServer
	NewThrs map[uint32]int // threads started after it
	IdleThr uint32         // class of the thread set to SCHED_IDLE first
	Spawned map[uint32]int // at the start of a process it started
}

func TestMain(m *testing.M) {
	switch os.Getenv(schedChildEnv) {
	case "":
		os.Exit(m.Run())
	case "report":
		_ = json.NewEncoder(os.Stdout).Encode(schedReport{Before: classes()})
	default:
		_ = json.NewEncoder(os.Stdout).Encode(schedChild())
	}
	os.Exit(0)
}

func classes() map[uint32]int {
	out, _ := schedclass.Count(os.Getpid())
	return out
}

// lockedThreads runs fn on n goroutines locked to threads at once, so that
// the runtime starts threads for them.
func lockedThreads(n int, fn func()) {
	var ready, wg sync.WaitGroup
	ready.Add(n)
	release := make(chan struct{})
	for range n {
		wg.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			fn()
			ready.Done()
			<-release
		})
	}
	ready.Wait()
	close(release)
	wg.Wait()
}

func schedChild() schedReport {
	r := schedReport{Before: classes(), NewThrs: map[uint32]int{}}
	idleSet := make(chan struct{})
	idleCheck := make(chan uint32)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread keeps its class
		a, _ := unix.SchedGetAttr(0, 0)
		a.Policy = unix.SCHED_IDLE
		_ = unix.SchedSetAttr(0, a, 0)
		close(idleSet)
		<-idleCheck
		a, _ = unix.SchedGetAttr(0, 0)
		idleCheck <- a.Policy
	}()
	<-idleSet
	ok, err := YieldToServer()
	r.Yielded = ok
	if err != nil {
		r.Err = err.Error()
	}
	r.After = classes()
	idleCheck <- 0
	r.IdleThr = <-idleCheck
	var mu sync.Mutex
	lockedThreads(6, func() {
		a, _ := unix.SchedGetAttr(0, 0)
		mu.Lock()
		r.NewThrs[a.Policy]++
		mu.Unlock()
	})
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), schedChildEnv+"=report")
	out, err := cmd.Output()
	var sub schedReport
	if err == nil {
		err = json.Unmarshal(out, &sub)
	}
	if err != nil {
		r.Err += fmt.Sprintf("; spawned process: %v", err)
	}
	r.Spawned = sub.Before
	return r
}

func runSchedChild(t *testing.T, env ...string) schedReport {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(append(os.Environ(), schedChildEnv+"=yield"), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	var r schedReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("child's report %q: %v", out, err)
	}
	return r
}

func TestYieldToServer(t *testing.T) {
	r := runSchedChild(t, "PASSERELLE_SCHED_BATCH=")
	if strings.Contains(r.Err, "operation not permitted") || strings.Contains(r.Err, "function not implemented") {
		// A sandbox (seccomp) may refuse sched_setattr: the gateway then
		// logs a warning and runs in the normal class.
		t.Skipf("this machine refuses scheduling classes: %s", r.Err)
	}
	if r.Err != "" || !r.Yielded {
		t.Fatalf("YieldToServer = %v, %q; want true, no error", r.Yielded, r.Err)
	}
	if r.Before[unix.SCHED_NORMAL] == 0 {
		t.Fatalf("the child started with no normal thread (%v): the test cannot tell", r.Before)
	}
	if r.After[unix.SCHED_NORMAL] != 0 || r.After[unix.SCHED_BATCH] == 0 {
		t.Errorf("threads per class after = %v, want all batch but the idle one", r.After)
	}
	if r.IdleThr != unix.SCHED_IDLE {
		t.Errorf("a thread put in the idle class is now in class %d, want it left alone", r.IdleThr)
	}
	if r.NewThrs[unix.SCHED_BATCH] != 6 {
		t.Errorf("threads started later, per class = %v, want 6 batch", r.NewThrs)
	}
	if r.Spawned[unix.SCHED_BATCH] == 0 || r.Spawned[unix.SCHED_NORMAL] != 0 {
		t.Errorf("a process started after it (a plugin) has threads per class %v, want all batch", r.Spawned)
	}
}

func TestYieldToServerOff(t *testing.T) {
	r := runSchedChild(t, "PASSERELLE_SCHED_BATCH=0")
	if r.Err != "" || r.Yielded {
		t.Fatalf("YieldToServer = %v, %q; want false, no error", r.Yielded, r.Err)
	}
	if r.After[unix.SCHED_BATCH] != 0 || r.NewThrs[unix.SCHED_BATCH] != 0 || r.Spawned[unix.SCHED_BATCH] != 0 {
		t.Errorf("batch threads with PASSERELLE_SCHED_BATCH=0: after %v, new %v, spawned %v", r.After, r.NewThrs, r.Spawned)
	}
}
