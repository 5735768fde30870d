package bridge

import (
	"context"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/pluginhost"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestFirstStateOfThisConnection: the watch of a login just completed
// (the same account logged in again) does not take the state of the
// login's connection before, still on its way, for its own: that state
// is ignored, neither caught nor recorded, and the new connection's
// state answers the login. A state without a connection number (a
// plugin built before it) is caught as ever, watch or not.
func TestFirstStateOfThisConnection(t *testing.T) {
	tr, s := aliceOnEcho(t)
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: tr.log})
	ctx := context.Background()

	earlier := s.newConnection()
	s.setState(ctx, &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTED, Connection: earlier})
	if st := s.loginState().state; st != pb.LoginState_LOGIN_STATE_CONNECTED {
		t.Fatalf("the state of the login's connection: %v", st)
	}

	fs := s.watchFirstState()
	s.setState(ctx, &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, Message: "torn down", Connection: earlier})
	if st := s.loginState(); st.state != pb.LoginState_LOGIN_STATE_CONNECTED {
		t.Errorf("the earlier connection's state was recorded as the login's: %v %q", st.state, st.msg)
	}
	conn := s.newConnection() // the new login's Connect
	s.setState(ctx, &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, Message: "this one", Connection: conn})
	st, known := s.awaitFirstState(ctx, fs, time.Now().Add(LoginConnectWait))
	if !known || st.state != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT || st.msg != "this one" {
		t.Fatalf("the new login caught %v %q (known %v); want its own connection's state", st.state, st.msg, known)
	}
	s.dropRetry(fs)

	// A plugin that numbers nothing: its states are the login's.
	fs = s.watchFirstState()
	s.setState(ctx, &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, Message: "unnumbered"})
	st, known = s.awaitFirstState(ctx, fs, time.Now().Add(LoginConnectWait))
	if !known || st.state != pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS || st.msg != "unnumbered" {
		t.Fatalf("a state without a number: caught %v %q (known %v)", st.state, st.msg, known)
	}
	s.setState(ctx, &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTED})
	if st := s.loginState().state; st != pb.LoginState_LOGIN_STATE_CONNECTED {
		t.Errorf("a state without a number after numbered ones: the login's state is %v", st)
	}
}
