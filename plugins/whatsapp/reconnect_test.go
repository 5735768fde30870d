package whatsapp

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// A refusal of the connection whatsmeow knows no reason for (it
// dispatches ConnectFailure, takes the disconnect as expected and does
// not reconnect) is retried by the plugin, with backoff: the login comes
// back, as its state says it will. So does a connection whose token
// could not be renewed (CATRefreshError, which whatsmeow also takes as
// the end).
func TestConnectRefusedRetried(t *testing.T) {
	old := FirstRetry
	FirstRetry = 10 * time.Millisecond
	defer func() { FirstRetry = old }()
	r := newRig(t, "")
	_, fake := r.connected(t)
	for range 2 {
		from := r.host.count()
		fake.Disconnect() // WhatsApp closes the connection it refused
		fake.Emit(&events.ConnectFailure{Reason: events.ConnectFailureBadUserAgent, Message: "bad agent"})
		ev, i := r.host.next(t, from, isState(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT))
		if msg := ev.GetLoginState().GetMessage(); !strings.Contains(msg, "refused") || !strings.Contains(msg, "trying again in 10ms") {
			t.Errorf("refusal said: %q", msg)
		}
		waitConnected(t, fake)
		r.host.next(t, i, isState(pb.LoginState_LOGIN_STATE_CONNECTED))
	}
	// The connection's token not renewed: the same.
	from := r.host.count()
	fake.Disconnect()
	fake.Emit(&events.CATRefreshError{Error: errors.New("no token")})
	ev, i := r.host.next(t, from, isState(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT))
	if msg := ev.GetLoginState().GetMessage(); !strings.Contains(msg, "token could not be renewed (no token); trying again") {
		t.Errorf("token refusal said: %q", msg)
	}
	waitConnected(t, fake)
	r.host.next(t, i, isState(pb.LoginState_LOGIN_STATE_CONNECTED))
}

// waitConnected waits up to 5 s for the plugin to connect the fake (a
// connected state may be an earlier connection's, told late).
func waitConnected(t *testing.T, fake *wafake.Client) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !fake.IsConnected() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !fake.IsConnected() {
		t.Fatal("not connected again")
	}
}
