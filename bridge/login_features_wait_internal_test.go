package bridge

import (
	"context"
	"errors"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/pluginhost"
	"passerelle.im/passerelle/store"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestAwaitFeaturesEnds: a message for a fresh login is answered with
// why nothing was sent when the login ended before its first CONNECTED
// (its credentials refused), and goes once it said CONNECTED. (The wake
// of a message already waiting: TestSpoilerToPlainNetwork.)
func TestAwaitFeaturesEnds(t *testing.T) {
	tr, s := aliceOnEcho(t)
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: tr.log})
	ctx := context.Background()
	for _, tc := range []struct {
		state pb.LoginState
		want  string // "" for none
	}{
		{pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, "credentials refused (wrong password)"},
		{pb.LoginState_LOGIN_STATE_CONNECTED, ""},
	} {
		tr.setFreshLogin(s.Login()) // as completeLogin marks a new login
		s.setState(ctx, &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTING})
		s.setState(ctx, &pb.LoginStateEvent{State: tc.state, Message: "wrong password"})
		err := s.awaitFeatures(ctx)
		switch {
		case tc.want == "" && err != nil:
			t.Fatalf("after %v: %v", tc.state, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "nothing was sent")):
			t.Fatalf("after %v: want an error saying %q, got %v", tc.state, tc.want, err)
		}
	}
	if !s.featuresKnown() {
		t.Fatal("features unknown after CONNECTED")
	}
}

// TestAwaitFeaturesStaleEnd: a login completed again after it stopped
// (relogin, the same account) keeps its session and that session's last
// state until the plugin says another; a message then waits for the new
// login's first state rather than being refused for the stopped one's.
func TestAwaitFeaturesStaleEnd(t *testing.T) {
	tr, s := aliceOnEcho(t)
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: tr.log})
	s.setState(context.Background(), &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_STOPPED, Message: "could not connect"})
	tr.setFreshLogin(s.Login()) // the login completed again
	// Cancelled: awaitFeatures returns at once, waiting or not.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.awaitFeatures(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("awaitFeatures after a relogin of a stopped login = %v; want it waiting for the new state (cut short by the cancel)", err)
	}
	s.setState(context.Background(), &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, Message: "wrong password"})
	if err := s.awaitFeatures(ctx); err == nil || !strings.Contains(err.Error(), "credentials refused") {
		t.Fatalf("awaitFeatures after the new login's credentials were refused = %v; want an error saying so", err)
	}
}

// TestFreshLoginConnectedAtOnce: a CONNECTED handled as soon as a fresh
// login's session can be found (the plugin's login connected itself) is
// its first: its features are known, a message does not wait. Before,
// the login was marked fresh only after setLogin returned, undoing such
// a CONNECTED, and its messages waited 20 s for the next one. The same
// for a relogin, which keeps its session.
func TestFreshLoginConnectedAtOnce(t *testing.T) {
	tr, _ := aliceOnEcho(t)
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: tr.log})
	cancelled, cancel := context.WithCancel(context.Background())
	cancel() // awaitFeatures returns at once: nil only when they are known
	l := store.Login{Transport: "echo", UserJID: "bob@localhost", LoginID: "b"}
	for _, what := range []string{"new login", "relogin"} {
		s := tr.setFreshLogin(l)
		if s.featuresKnown() {
			t.Fatalf("%s: features known before its first CONNECTED", what)
		}
		s.setState(context.Background(), &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTED})
		if err := s.awaitFeatures(cancelled); err != nil {
			t.Fatalf("%s: a message after its CONNECTED: %v; want it sent at once", what, err)
		}
	}
}

// TestFreshLoginWaitsAfterRestart: a login completed whose gateway
// stopped before its first CONNECTED still has its messages wait for its
// features after the restart (its record says they are not known yet).
// Before, the record kept none, read at the start as the transport's: a
// spoiler for a network (a bot) without formatting was judged by those
// and sent. Its first CONNECTED then stores what it said.
func TestFreshLoginWaitsAfterRestart(t *testing.T) {
	tr, _ := aliceOnEcho(t)
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: tr.log})
	ctx := context.Background()
	// The record as completeLogin stores a new login.
	l := store.Login{Transport: "echo", UserJID: "bob@localhost", LoginID: "b", Features: featuresUnknown}
	must(t, tr.db.PutLogin(ctx, l))
	s := tr.setLogin(l) // as the start loads it
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.awaitFeatures(cancelled); !errors.Is(err, context.Canceled) {
		t.Fatalf("a message for a login never CONNECTED, after a restart: %v; want it waiting for the login's features", err)
	}
	s.setState(ctx, &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTED})
	if err := s.awaitFeatures(cancelled); err != nil {
		t.Fatalf("after its CONNECTED: %v", err)
	}
	if got, err := tr.db.GetLogin("echo", "bob@localhost"); err != nil || got.Features != nil {
		t.Errorf("stored features after a CONNECTED with the transport's: %x (%v), want none", got.Features, err)
	}
}
