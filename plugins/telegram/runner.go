package telegram

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gotd/td/telegram"
)

// DialTimeout bounds how long the session waits for the connection to
// Telegram, and a login step whose caller set no deadline.
var DialTimeout = 30 * time.Second

// runner is a gotd client running in the background: gotd serves
// requests only inside Client.Run's callback, which a login process and a
// session keep open as long as they need the client.
type runner struct {
	client *telegram.Client
	cancel context.CancelFunc
	done   chan struct{}
	err    error // set when done is closed
}

// startRunner runs c until stop, once it is connected; extra, when set,
// runs inside the connected client too (the updates manager) and ends it
// when it returns. It waits for the connection until wait is done, or
// DialTimeout when wait has no deadline: a login step waits as long as its
// caller does, since a key exchange on a loaded machine may take longer
// than a bound of the plugin's own would allow.
func startRunner(wait context.Context, c *telegram.Client, extra func(ctx context.Context) error) (*runner, error) {
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{client: c, cancel: cancel, done: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		defer close(r.done)
		r.err = c.Run(ctx, func(ctx context.Context) error {
			close(ready)
			if extra != nil {
				return extra(ctx)
			}
			<-ctx.Done()
			return nil
		})
	}()
	start := time.Now()
	if _, ok := wait.Deadline(); !ok {
		var cancelWait context.CancelFunc
		wait, cancelWait = context.WithTimeout(wait, DialTimeout)
		defer cancelWait()
	}
	select {
	case <-ready:
		return r, nil
	case <-r.done:
		cancel()
		if r.err == nil {
			r.err = errors.New("the client stopped")
		}
		return nil, r.err
	case <-wait.Done():
		cancel()
		<-r.done
		return nil, fmt.Errorf("no connection to Telegram after %s: %w", time.Since(start).Round(time.Second), wait.Err())
	}
}

// stop ends the client and waits for it.
func (r *runner) stop() {
	if r == nil {
		return
	}
	r.cancel()
	<-r.done
}
