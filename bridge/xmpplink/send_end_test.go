package xmpplink

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/internal/prosodytest"
)

// TestSendAsRunEnds: a Send (or SendConfirmed) that found the link up
// just as its Run ended either is refused or has its stanza's sender
// told: never a stanza queued after the queue was emptied for the last
// time, whose done (or confirmed) no one calls. The hook runs the whole
// end of Run between Send's check and its queueing, the window that
// was tiny and real: before, Send returned nil and done was never
// called.
func TestSendAsRunEnds(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "gw.localhost", Secret: "s"}}})
	var w wire.Writer
	w.Start("message", "").Attr("from", "a@gw.localhost").Attr("to", "b@localhost").Leaf("body", "", "m")
	msg := w.Bytes()
	for _, confirmed := range []bool{false, true} {
		l := New(Config{Addr: srv.ComponentAddr(), Domain: "gw.localhost", Secret: "s",
			PingInterval: time.Hour, PingTimeout: time.Second, ReconnectMax: time.Second,
			Log: slog.New(slog.DiscardHandler), Handle: func(*wire.Stanza) {}})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { l.Run(ctx); close(done) }()
		waitUp(t, l)
		l.afterUpCheck = func() { cancel(); <-done }
		heard := make(chan error, 1)
		var err error
		if confirmed {
			err = l.SendConfirmed(context.Background(), l.Generation(), msg, func(err error) { heard <- err })
		} else {
			err = l.Send(context.Background(), msg, func(err error) { heard <- err })
		}
		<-done
		if err == nil {
			select {
			case <-heard:
			default:
				t.Errorf("confirmed %v: the stanza was taken after Run ended, and its sender is never told", confirmed)
			}
		}
	}
}
