package sdk

import (
	"context"
	"sync"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// commandDrain bounds how long the stop waits for the commands under way
// (a method that ignores its context is given up on later still), within
// go-plugin's 2 s and StopTimeout.
const commandDrain = 500 * time.Millisecond

// errStopping answers a command that arrives once the stop has begun.
var errStopping = Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the plugin is stopping; the command was not run")

// runningCommands counts the commands under way, so that the stop closes
// the journal only once they ended.
type runningCommands struct {
	mu       sync.Mutex
	n        int
	stopping bool
	idle     chan struct{} // closed when n drops to 0 while stopping
}

// start counts a command in; false once the stop has begun.
func (r *runningCommands) start() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopping {
		return false
	}
	r.n++
	return true
}

// done counts a command out.
func (r *runningCommands) done() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n--
	if r.n == 0 && r.idle != nil {
		close(r.idle)
		r.idle = nil
	}
}

// drain refuses new commands and waits until those under way ended, or
// ctx ends; it reports whether they all ended.
func (r *runningCommands) drain(ctx context.Context) bool {
	r.mu.Lock()
	r.stopping = true
	if r.n == 0 {
		r.mu.Unlock()
		return true
	}
	if r.idle == nil {
		r.idle = make(chan struct{})
	}
	idle := r.idle
	r.mu.Unlock()
	select {
	case <-idle:
		return true
	case <-ctx.Done():
		return false
	}
}

// stopServing ends the process's work once the host asked it to exit
// (go-plugin's Shutdown, whose gRPC Stop cancels the calls under way but
// does not wait for them): the commands still running end first, so
// that their answers and what they emitted reach the journal (closed
// under them, a send's answer was lost and the host's resend sent it
// again); then stop (the Stopper's, nil for none), with StopTimeout
// counted from the start of the stop; then the journal's close.
func (s *server) stopServing(stop func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), StopTimeout)
	defer cancel()
	drainCtx, drainCancel := context.WithTimeout(ctx, commandDrain)
	if !s.running.drain(drainCtx) {
		s.log.Warn("commands still under way at the stop: their answers are not kept, and the gateway's resend acts again", "waited", commandDrain)
	}
	drainCancel()
	if stop != nil {
		if err := stop(ctx); err != nil {
			s.log.Warn("the plugin's stop failed", "err", err)
		}
	}
	s.shutdown()
}
