package telegram

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gotd/td/telegram"
)

// DialTimeout bounds how long a login step waits for the connection to
// Telegram.
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
// when it returns.
func startRunner(c *telegram.Client, extra func(ctx context.Context) error) (*runner, error) {
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
	t := time.NewTimer(DialTimeout)
	defer t.Stop()
	select {
	case <-ready:
		return r, nil
	case <-r.done:
		cancel()
		if r.err == nil {
			r.err = errors.New("the client stopped")
		}
		return nil, r.err
	case <-t.C:
		cancel()
		<-r.done
		return nil, fmt.Errorf("no connection to Telegram after %s", DialTimeout)
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
