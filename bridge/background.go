package bridge

import (
	"context"
	"time"
)

// Work a transport does beside its chats' workers (a resend waiting for
// a relogin, an echo's mapping, a contact's picture, a sync after a
// connect) runs in goroutines its stop waits for, last: each ends with
// the transport's context. Before, they outlived the stop, and wrote to
// a store the gateway had closed (a lost write) or read a test's
// variables after the test.

// goBg runs f beside the chats, in a goroutine the transport's stop
// waits for; f must end with the transport's context (runCtx).
func (t *transport) goBg(f func()) { t.bg.Go(f) }

// goCtx runs f beside the chats as goBg does, with ctx ending at the
// transport's stop too (ctx may be one that never ends).
func (t *transport) goCtx(ctx context.Context, f func(context.Context)) {
	t.goBg(func() {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(t.runCtx(), cancel)()
		f(ctx)
	})
}

// goDetached runs f beside the chats as goBg does, with ctx's values but
// not its end (ctx may be a command's, over before f is): f's context
// ends with the stop only, not as f returns, since f may start work of
// its own on it (a login's wait tells the login from a goroutine; a
// contact sync sends presences after it).
func (t *transport) goDetached(ctx context.Context, f func(context.Context)) {
	d := detached{Context: t.runCtx(), values: ctx}
	t.goBg(func() { f(d) })
}

// detached is a context that ends with the transport's run and carries
// another context's values: nothing to release, whenever it is dropped.
type detached struct {
	context.Context // the run's: its end, deadline and error
	values          context.Context
}

// Value is the values context's.
func (d detached) Value(key any) any { return d.values.Value(key) }

// afterBg runs f after d, as time.AfterFunc does, counted for the stop
// as goBg's work is; a timer that fires once the stop waits runs
// nothing. Its work (a probe's timeout, a join's refusal, a chat's
// history fetch gone quiet, the plugin-down notice) is of no use once
// the gateway stopped, and ran past the stop before: on a closed store,
// or into the next start's log.
func (t *transport) afterBg(d time.Duration, f func()) *time.Timer {
	return time.AfterFunc(d, func() { t.bg.RunLive(f) })
}

// runCtx is the transport's run context, which ends at its stop;
// background for a transport a test does not run.
func (t *transport) runCtx() context.Context {
	if t.in.ctx == nil {
		return context.Background()
	}
	return t.in.ctx
}
