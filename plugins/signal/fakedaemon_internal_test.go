package signal

import (
	"path/filepath"
	"testing"

	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
	"passerelle.im/passerelle/plugins/signal/rpc"
)

// startDaemon is a fake signal-cli with the account number (aci),
// closed when the test ends.
func startDaemon(t *testing.T, number, aci string) *fakesignal.Daemon {
	t.Helper()
	d, err := fakesignal.Start(filepath.Join(t.TempDir(), "signal.sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	d.AddAccount(number, aci)
	return d
}

// dialedSession is a session of the account number (aci) on d, its
// events going to h and its files in dir, connected as a login's is
// (its connection closed when the test ends).
func dialedSession(t *testing.T, d *fakesignal.Daemon, h sdk.Host, dir, number, aci string) *Session {
	s := newSession(&Network{host: h, cfg: Config{Socket: d.Path()}}, sdk.LoginInfo{LoginID: number, Dir: dir}, Account{Number: number, ACI: aci})
	s.c, s.up = rpc.Dial(d.Path(), rpc.Options{}), true
	t.Cleanup(func() { s.c.Close() })
	return s
}
