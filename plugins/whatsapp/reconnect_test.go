package whatsapp

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// A refusal of the connection whatsmeow knows no reason for (it
// dispatches ConnectFailure, takes the disconnect as expected and does
// not reconnect) is retried by the plugin, with backoff: the login comes
// back, as its state says it will. So does a connection whose token
// could not be renewed (CATRefreshError, which whatsmeow also takes as
// the end).
func TestConnectRefusedRetried(t *testing.T) {
	setFor(t, firstRetry, 10*time.Millisecond)
	r := newRig(t, "")
	_, fake := r.connected(t)
	for range 2 {
		from := r.host.count()
		fake.Disconnect() // WhatsApp closes the connection it refused
		// 400, a generic failure: seen after WhatsApp's outages, gone later.
		fake.Refuse(context.Background(), 400, "")
		ev, i := r.host.next(t, from, isState(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT))
		if msg := ev.GetLoginState().GetMessage(); !strings.Contains(msg, "refused") || !strings.Contains(msg, "400") || !strings.Contains(msg, "trying again in 10ms") {
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
	deadline := time.Now().Add(eventWait)
	for !fake.IsConnected() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !fake.IsConnected() {
		t.Fatal("not connected again")
	}
}

// A device WhatsApp ends on connecting (whatsmeow deletes it from the
// store and dispatches LoggedOut) is logged out, saying why: a lock or
// a ban (403, 406) says to look at the phone first, where "log in again
// to link a new one" sent the user pairing an account that cannot be.
// Connecting it again (relogin, the next start) asks for a new pairing
// without dialling WhatsApp.
func TestLoggedOutOnConnect(t *testing.T) {
	r := newRig(t, "")
	dir := t.TempDir()
	done := r.loginQR(t, dir)
	info := sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir}
	s, fake := r.load(t, info)
	for _, tc := range []struct {
		reason events.ConnectFailureReason
		text   string
	}{
		{events.ConnectFailureMainDeviceGone, "(403: the account moved to another phone, or WhatsApp locked or banned it); open WhatsApp on the phone"},
		{events.ConnectFailureUnknownLogout, "(406, which WhatsApp Web reads as a ban of the account); open WhatsApp on the phone"},
		{events.ConnectFailureLoggedOut, "(401): it was unlinked while the gateway was not connected"},
	} {
		from := r.host.count()
		fake.Emit(&events.LoggedOut{OnConnect: true, Reason: tc.reason})
		ev, _ := r.host.next(t, from, isState(pb.LoginState_LOGIN_STATE_LOGGED_OUT))
		if msg := ev.GetLoginState().GetMessage(); !strings.Contains(msg, tc.text) {
			t.Errorf("logged out with %v: %q, want it to say %q", tc.reason, msg, tc.text)
		}
	}
	fake.Disconnect()
	if err := fake.Device().Delete(context.Background()); err != nil { // as whatsmeow does
		t.Fatal(err)
	}
	s.Disconnect(context.Background())

	made := len(r.made.All())
	from := r.host.count()
	s2, err := r.n.LoadLogin(context.Background(), info)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Disconnect(context.Background())
	if err := s2.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetLoginState() != nil })
	if st := ev.GetLoginState(); st.GetState() != pb.LoginState_LOGIN_STATE_LOGGED_OUT || !strings.Contains(st.GetMessage(), "log in again") {
		t.Errorf("connecting the unlinked device: %v", st)
	}
	if n := len(r.made.All()); n != made {
		t.Errorf("%d clients made for the unlinked device, want none", n-made)
	}
}

// A refusal that says WhatsApp no longer knows the device (415, 418:
// its registration gone on WhatsApp's side; mautrix-meta, on the same
// protocol, registers a new device for them) cannot pass by trying
// again: the login is logged out, saying to link it anew, and not
// retried. It was retried every 5 minutes for ever, said to come back.
func TestConnectRefusedDeviceUnknown(t *testing.T) {
	setFor(t, firstRetry, 10*time.Millisecond)
	for _, reason := range []int{415, 418} {
		r := newRig(t, "")
		_, fake := r.connected(t)
		made := len(r.made.All())
		from := r.host.count()
		fake.Disconnect() // WhatsApp closes the connection it refused
		fake.Refuse(context.Background(), reason, "")
		ev, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetLoginState() != nil })
		st := ev.GetLoginState()
		if st.GetState() != pb.LoginState_LOGIN_STATE_LOGGED_OUT || !strings.Contains(st.GetMessage(), "no longer knows this linked device ("+strconv.Itoa(reason)) ||
			!strings.Contains(st.GetMessage(), "log in again") {
			t.Errorf("refused with %d: %v", reason, st)
		}
		// Not dialled again: a fence well past the first retry's wait.
		time.Sleep(20 * firstRetry.get())
		if fake.IsConnected() || len(r.made.All()) != made {
			t.Errorf("refused with %d: connected again", reason)
		}
		for _, ev := range r.host.since(i + 1) {
			if ev.GetLoginState() != nil {
				t.Errorf("refused with %d, then: %v", reason, ev.GetLoginState())
			}
		}
	}
}

// WhatsApp refusing the client itself (409, BadUserAgent: the version and
// platform it announces) refuses it again however long the wait: it was
// retried every 5 minutes for ever, said to come back. As for
// ClientOutdated, WhatsApp Web's current version is tried once; refused
// still, the login stops, saying the gateway must be updated.
func TestConnectRefusedUserAgent(t *testing.T) {
	setFor(t, firstRetry, 10*time.Millisecond)
	before := store.GetWAVersion()
	t.Cleanup(func() { store.SetWAVersion(before) })
	newer := store.WAVersionContainer{before[0], before[1], before[2] + 1000}
	r := newRig(t, "")
	r.n.SetVersionLookup(func(context.Context) (store.WAVersionContainer, error) { return newer, nil })
	_, fake := r.connected(t)
	from := r.host.count()
	fake.Disconnect() // WhatsApp closes the connection it refused
	fake.Refuse(context.Background(), 409, "")
	ev, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetLoginState() != nil })
	if st := ev.GetLoginState(); st.GetState() != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT || !strings.Contains(st.GetMessage(), newer.String()) {
		t.Errorf("first 409: %v", st)
	}
	waitConnected(t, fake)
	r.host.next(t, i, isState(pb.LoginState_LOGIN_STATE_CONNECTED))

	from = r.host.count()
	fake.Disconnect()
	made := len(r.made.All())
	fake.Refuse(context.Background(), 409, "")
	ev, i = r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetLoginState() != nil })
	st := ev.GetLoginState()
	if st.GetState() != pb.LoginState_LOGIN_STATE_STOPPED || !strings.Contains(st.GetMessage(), "409") || !strings.Contains(st.GetMessage(), "newer passerelle") {
		t.Errorf("second 409: %v", st)
	}
	// Not dialled again: a fence well past the first retry's wait.
	time.Sleep(20 * firstRetry.get())
	if fake.IsConnected() || len(r.made.All()) != made {
		t.Error("refused with 409: connected again")
	}
	for _, ev := range r.host.since(i + 1) {
		if ev.GetLoginState() != nil {
			t.Errorf("refused with 409, then: %v", ev.GetLoginState())
		}
	}
}

// The same refusal while logging in by QR code: said so, where the
// login said "The pairing stopped (err-unexpected-state)" and was tried
// again to the same end.
func TestLoginRefusedUserAgent(t *testing.T) {
	r := newRig(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := r.n.StartLogin(ctx, sdk.LoginRequest{ProcessID: "p1", UserJID: "u@example.org", FlowID: flowQR, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	fake, err := r.made.Wait(len(r.made.All())-1, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	fake.Refuse(ctx, 409, "")
	step, err := p.(sdk.LoginWaiter).Wait(ctx)
	if codeOf(err) != pb.ErrorCode_ERROR_CODE_UNAVAILABLE || !strings.Contains(err.Error(), "409") || !strings.Contains(err.Error(), "newer passerelle") {
		t.Errorf("login refused with 409: %v, %v", step, err)
	}
}

// A refusal with 501 (whatsmeow's "experimental", from which it does not
// reconnect, unlike 500 and 503) is about the client, which would be
// refused again: the login stops, saying to try relogin later and to
// update the gateway if it lasts. It was retried every 5 minutes for
// ever, said to come back.
func TestConnectRefusedExperimental(t *testing.T) {
	setFor(t, firstRetry, 10*time.Millisecond)
	r := newRig(t, "")
	_, fake := r.connected(t)
	made := len(r.made.All())
	from := r.host.count()
	fake.Disconnect() // WhatsApp closes the connection it refused
	fake.Refuse(context.Background(), 501, "")
	ev, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetLoginState() != nil })
	st := ev.GetLoginState()
	if st.GetState() != pb.LoginState_LOGIN_STATE_STOPPED || !strings.Contains(st.GetMessage(), "501") || !strings.Contains(st.GetMessage(), "relogin") {
		t.Errorf("refused with 501: %v", st)
	}
	// Not dialled again: a fence well past the first retry's wait.
	time.Sleep(20 * firstRetry.get())
	if fake.IsConnected() || len(r.made.All()) != made {
		t.Error("refused with 501: connected again")
	}
	for _, ev := range r.host.since(i + 1) {
		if ev.GetLoginState() != nil {
			t.Errorf("refused with 501, then: %v", ev.GetLoginState())
		}
	}
}

// A refusal with a code neither whatsmeow nor the plugin knows may pass,
// and is retried with backoff, but not for ever (it was, every 5
// minutes): WhatsApp refusing each connection, the login stops after
// maxRefusals retries, saying how often and with what code.
func TestConnectRefusedUnknownStops(t *testing.T) {
	setFor(t, firstRetry, time.Millisecond)
	r := newRig(t, "")
	_, fake := r.connected(t)
	from := r.host.count()
	fake.RefuseConnections(420)
	fake.Disconnect() // WhatsApp closes the connection it refused
	fake.Refuse(context.Background(), 420, "")
	ev, i := r.host.nextFrom(t, from, 10*time.Second, isState(pb.LoginState_LOGIN_STATE_STOPPED))
	if msg := ev.GetLoginState().GetMessage(); !strings.Contains(msg, "420") || !strings.Contains(msg, strconv.Itoa(maxRefusals+1)+" times in a row") || !strings.Contains(msg, "relogin") {
		t.Errorf("stopped: %q", msg)
	}
	retries := 0
	for _, ev := range r.host.since(from) {
		if st := ev.GetLoginState(); st.GetState() == pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT && strings.Contains(st.GetMessage(), "420") {
			retries++
		}
	}
	if retries != maxRefusals {
		t.Errorf("%d retries said, want %d", retries, maxRefusals)
	}
	// Not dialled again: a fence well past the last retry's wait.
	time.Sleep(600 * time.Millisecond)
	for _, ev := range r.host.since(i + 1) {
		if ev.GetLoginState() != nil {
			t.Errorf("stopped, then: %v", ev.GetLoginState())
		}
	}
}
