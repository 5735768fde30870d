package signal_test

import (
	"encoding/json"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A login saved before its ACI was asked learns it from listAccounts at
// its subscription; a signal-cli slow to answer that holds up nothing
// of the login's connection: the login is ready (Connect returns) and
// its groups are read while the answer is awaited, and the ACI is saved
// once it comes. (Before: listAccounts was asked under the subscription
// lock, before the login was ready and its groups read, for up to 30 s.)
func TestSlowListAccountsHoldsNothing(t *testing.T) {
	d, _ := startFake(t)
	p := plugintest.Start(t, pluginBinary(t), "", socketConfig(d))
	done := p.Login("existing", map[string]string{"account": alice})
	var acc map[string]any
	if err := json.Unmarshal(done.SavedState, &acc); err != nil {
		t.Fatal(err)
	}
	delete(acc, "aci") // a login of before
	saved, _ := json.Marshal(acc)
	evs := p.Events()

	read, release := d.HoldNext("listAccounts", "")
	defer release()
	connected := make(chan error, 1)
	go func() {
		ctx, cancel := p.CallContext()
		defer cancel()
		_, err := p.Client().Connect(ctx, &pb.ConnectRequest{LoginId: done.LoginId, UserJid: plugintest.UserJID, SavedState: saved, LoginDir: t.TempDir()})
		connected <- err
	}()
	select {
	case <-read:
	case <-time.After(plugintest.Timeout):
		t.Fatal("the plugin never asked listAccounts")
	}
	waitGroupsRead(t, d)
	if err := <-connected; err != nil {
		t.Fatal(err)
	}
	release()
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetSavedState() != nil })
	if err := json.Unmarshal(ev.GetSavedState().GetSavedState(), &acc); err != nil || acc["aci"] != aliceACI {
		t.Fatalf("the saved state: %s (%v), want the ACI learnt", ev.GetSavedState().GetSavedState(), err)
	}
}
