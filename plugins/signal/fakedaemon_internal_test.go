package signal

import (
	"path/filepath"
	"testing"

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
