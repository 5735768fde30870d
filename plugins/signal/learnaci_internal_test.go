package signal

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"passerelle.im/passerelle/plugins/signal/rpc"
)

// learnACI runs after the login is ready, so a Disconnect (or Logout)
// may come while it waits for listAccounts. A session whose connection
// ended meanwhile saves no state: the next session of the login, or none
// after a logout, is the one to save it, and a stale state of the old
// one's would overwrite that. A session still on its connection learns
// the ACI from accounts.json when listAccounts fails. (Before: the
// stopped session emitted its SavedState all the same.)
func TestLearnACIAfterDisconnectSavesNothing(t *testing.T) {
	const aci = "a11ce000-0000-4000-8000-000000000001"
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "accounts.json"), []byte(`{"accounts":[{"number":"+15550000001","uuid":"`+aci+`"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c := rpc.Dial(filepath.Join(t.TempDir(), "no.sock"), rpc.Options{})
	c.Close() // listAccounts fails at once

	h := &recordingHost{}
	n := &Network{host: h, cfg: Config{DataDir: dir}}
	gone := &Session{n: n, loginID: "l", acc: Account{Number: "+15550000001"}} // disconnected: no client
	gone.learnACI(context.Background(), c, 1)
	if evs := h.events(); len(evs) != 0 || gone.account().ACI != "" {
		t.Fatalf("a session disconnected meanwhile: events %v, ACI %q; want none", evs, gone.account().ACI)
	}

	live := &Session{n: n, loginID: "l", acc: Account{Number: "+15550000001"}, c: c}
	live.learnACI(context.Background(), c, 1)
	if evs := h.events(); len(evs) != 1 || evs[0].GetSavedState() == nil || live.account().ACI != aci {
		t.Fatalf("a session on its connection: events %v, ACI %q; want its state saved with %q", evs, live.account().ACI, aci)
	}
}
