package signal

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
	"passerelle.im/passerelle/plugins/signal/rpc"
)

// The login the internal tests run on a fake daemon, and a contact.
const (
	alice, aliceACI = "+15550000001", "a11ce000-0000-4000-8000-000000000001"
	bob, bobACI     = "+15550000002", "b0b00000-0000-4000-8000-000000000002"
)

// startDaemon is a fake signal-cli with alice's account, closed when the
// test ends.
func startDaemon(t *testing.T) *fakesignal.Daemon {
	t.Helper()
	d, err := fakesignal.Start(filepath.Join(t.TempDir(), "signal.sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	d.AddAccount(alice, aliceACI)
	return d
}

// startFriends is startDaemon with alice's group "Friends", her its
// admin, bob a member: given back for the test to change.
func startFriends(t *testing.T) (*fakesignal.Daemon, fakesignal.Group) {
	t.Helper()
	d := startDaemon(t)
	g := fakesignal.Group{ID: fakesignal.NewGroupID(), Name: "Friends",
		Members: []fakesignal.Member{{Number: alice, UUID: aliceACI, Admin: true}, {Number: bob, UUID: bobACI}}}
	d.SetGroup(alice, g)
	return d, g
}

// dialedSession is alice's session on d, its events going to h and its
// files in dir, connected as a login's is (its connection closed when
// the test ends).
func dialedSession(t *testing.T, d *fakesignal.Daemon, h sdk.Host, dir string) *Session {
	s := newSession(&Network{host: h, cfg: Config{Socket: d.Path()}}, sdk.LoginInfo{LoginID: alice, Dir: dir}, Account{Number: alice, ACI: aliceACI})
	s.c, s.up = rpc.Dial(d.Path(), rpc.Options{}), true
	t.Cleanup(func() { s.c.Close() })
	return s
}

// receivingSession is dialedSession subscribed to alice's envelopes,
// which it handles, as Connect's is (without Connect's reads of the
// groups and contacts, which would write to dir after the test); it is
// disconnected, what it read handled, when the test ends.
func receivingSession(t *testing.T, d *fakesignal.Daemon, h sdk.Host, dir string) *Session {
	t.Helper()
	s := newSession(&Network{host: h, cfg: Config{Socket: d.Path()}}, sdk.LoginInfo{LoginID: alice, Dir: dir}, Account{Number: alice, ACI: aliceACI})
	up, once := make(chan struct{}), sync.Once{}
	c := rpc.Dial(d.Path(), rpc.Options{Notify: s.onNotify, Received: s.received, Up: func() { once.Do(func() { close(up) }) }})
	select {
	case <-up:
	case <-time.After(20 * time.Second):
		c.Close()
		t.Fatal("never connected to the daemon")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var sub int
	if err := c.Call(ctx, "subscribeReceive", map[string]any{"account": alice}, &sub); err != nil {
		c.Close()
		t.Fatalf("subscribeReceive: %v", err)
	}
	s.mu.Lock()
	s.c, s.up, s.sub = c, true, sub
	s.mu.Unlock()
	t.Cleanup(func() { s.Disconnect(context.Background()) })
	return s
}
