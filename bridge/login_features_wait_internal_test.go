package bridge

import (
	"context"
	"errors"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/pluginhost"

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
		s.featuresPending() // as completeLogin marks a new login
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
	s.featuresPending() // the login completed again
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
