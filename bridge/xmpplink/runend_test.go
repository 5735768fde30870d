package xmpplink

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/internal/prosodytest"
)

// runEndLink runs a link to srv with onUp and handle until the stop it
// returns, which cancels Run and waits for it to return.
func runEndLink(t *testing.T, srv *prosodytest.Server, onUp func(), handle func(*wire.Stanza)) (l *Link, stop func()) {
	t.Helper()
	l = New(Config{Addr: srv.ComponentAddr(), Domain: "gw.localhost", Secret: "s",
		PingInterval: time.Hour, PingTimeout: time.Second, ReconnectMax: time.Second,
		Log: slog.New(slog.DiscardHandler), Handle: handle, OnUp: onUp})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return l, func() {
		cancel()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Fatal("Run did not return")
		}
	}
}

// TestOnUpEndsBeforeRun: an OnUp still running when Run's context
// ends has returned by the time Run returns: it runs the caller's code
// (its stanzas, its store), which must not outlive the link. Before, it
// ran in a goroutine of its own that nothing waited for.
func TestOnUpEndsBeforeRun(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "gw.localhost", Secret: "s"}}})
	entered, release := make(chan struct{}), make(chan struct{})
	var returned atomic.Bool
	var ups atomic.Int32
	_, stop := runEndLink(t, srv, func() {
		if ups.Add(1) == 1 {
			close(entered)
			<-release
			returned.Store(true)
		}
	}, func(*wire.Stanza) {})
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("OnUp never ran")
	}
	// Let go a while after the stop, so that a Run that does not wait
	// for OnUp has returned first.
	time.AfterFunc(time.Second, func() { close(release) })
	stop()
	if !returned.Load() {
		t.Fatal("Run returned while its OnUp still ran")
	}
}

// TestHandleEndsBeforeRun: a stanza the read loop is handing to Handle
// as Run's context ends is handled by the time Run returns, and none
// after. Before, the read loop's goroutine was not waited for: Run
// returned, and the stanza was handled after, into a gateway stopped.
func TestHandleEndsBeforeRun(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "gw.localhost", Secret: "s"}}})
	entered, release := make(chan struct{}), make(chan struct{})
	var handling, returned atomic.Bool
	l, stop := runEndLink(t, srv, nil, func(st *wire.Stanza) {
		if st.Kind() != "message" || handling.Swap(true) {
			return
		}
		close(entered)
		<-release
		returned.Store(true)
	})
	waitUp(t, l)
	// Prosody routes a message to the component's own domain back to it.
	var w wire.Writer
	w.Start("message", "").Attr("from", "a@gw.localhost").Attr("to", "b@gw.localhost").Attr("type", "chat").Leaf("body", "", "m")
	if err := l.Send(context.Background(), w.Bytes(), nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the message never reached Handle")
	}
	// Let go a while after the stop (past the writer's settling, which
	// waits for answers the blocked read loop does not read), so that a
	// Run that does not wait for its read loop has returned first.
	time.AfterFunc(4*settleWait, func() { close(release) })
	stop()
	if !returned.Load() {
		t.Fatal("Run returned while its read loop still handed a stanza to Handle")
	}
}
