package bridge

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"passerelle.im/passerelle/bridge/pluginhost"
	"passerelle.im/passerelle/bridge/xmpplink"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/store"
)

// The timers a transport starts run nothing past its stop (background.go:
// afterBg). In a synctest bubble, so that their waits pass at once.

// stoppedTransport is a transport of echo.localhost, never run (its link
// down), with alice@localhost logged in as "l", who lets it see her
// presence.
// Its store is opened outside the bubble (openStore): none of its
// goroutines is the bubble's.
func stoppedTransport(db *store.DB) (*transport, *session) {
	tr := &transport{name: "echo", domain: "echo.localhost", db: db, log: slog.New(slog.DiscardHandler), idPrefix: "x",
		sessions: map[string]*session{}, byLogin: map[string]*session{}}
	tr.link = xmpplink.New(xmpplink.Config{Addr: "127.0.0.1:1", Domain: tr.domain})
	s := tr.setLogin(store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "l", SeesPresence: true})
	return tr, s
}

// openStore opens a fresh store for stoppedTransport, closed with the
// test.
func openStore(t *testing.T) *store.DB {
	db, err := store.Open(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestProbeTimeoutNotPastStop: a probe's timeout that comes after the
// stop changes nothing. It ran, on a transport gone.
func TestProbeTimeoutNotPastStop(t *testing.T) {
	db := openStore(t)
	synctest.Test(t, func(t *testing.T) {
		tr, s := stoppedTransport(db)
		s.probe(context.Background())
		tr.bg.Stop()
		time.Sleep(probeWait + time.Second)
		synctest.Wait()
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.avail.state != availProbing {
			t.Errorf("after the stop, the probe's timeout made the user %v", s.avail.state)
		}
	})
}

// TestPluginDownNotPastStop: the plugin-down notice whose grace ends
// after the stop is not sent; one whose grace ended before is waited
// for by the stop. It was sent by a timer the stop did not know of.
func TestPluginDownNotPastStop(t *testing.T) {
	db := openStore(t)
	synctest.Test(t, func(t *testing.T) {
		tr, _ := stoppedTransport(db)
		var told atomic.Int32
		tr.down.stopped(errors.New("plugin exited"), func() { told.Add(1) }, &tr.bg)
		tr.bg.Stop()
		time.Sleep(pluginDownGrace + time.Second)
		synctest.Wait()
		if n := told.Load(); n != 0 {
			t.Errorf("the users were told %d times after the stop that the plugin is down", n)
		}
	})
}

// TestHistoryIdleNotPastStop: a history fetch's idle timer that fires
// after the stop does not finish the fetch (its delivery, its log line).
func TestHistoryIdleNotPastStop(t *testing.T) {
	db := openStore(t)
	synctest.Test(t, func(t *testing.T) {
		tr, _ := stoppedTransport(db)
		b := newBackfill(tr, 10)
		key := chatAddr{"l", "bob"}
		b.mu.Lock()
		f := b.beginLocked(key, 5, 0, false)
		b.mu.Unlock()
		tr.bg.Stop()
		time.Sleep(b.idle + time.Second)
		synctest.Wait()
		select {
		case <-f.ended:
			t.Error("the fetch's idle timer finished it after the stop")
		default:
		}
	})
}

// TestPluginDownRetoldAtStop: a new cause of the plugin being down
// noted once the stop waits (the notice then runs in the caller) does
// not wait for itself: the notice reads what it says (shown) under the
// lock its caller held.
func TestPluginDownRetoldAtStop(t *testing.T) {
	tr, _ := stoppedTransport(openStore(t))
	tr.down.told = true
	tr.bg.Stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		tr.down.stopped(&pluginhost.InitError{Err: &sdk.Error{Text: "bad config"}}, func() { tr.down.shown() }, &tr.bg)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("noting the plugin's new cause of being down at the stop never returned")
	}
	if _, refused := tr.down.shown(); !refused {
		t.Error("the refusal was not noted")
	}
}
