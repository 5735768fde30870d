package sdk

import (
	"context"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// stater says CONNECTED as it connects and TRANSIENT_DISCONNECT as it is
// torn down, as a network's session does, never naming a connection.
type stater struct {
	plain
	host Host
}

func (s *stater) say(st pb.LoginState) {
	s.host.Emit(stateEvent(s.info.LoginID, st))
}

func (s *stater) Connect(context.Context) error {
	s.say(pb.LoginState_LOGIN_STATE_CONNECTED)
	return nil
}

func (s *stater) Disconnect(context.Context) error {
	s.say(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT)
	return nil
}

func stateEvent(loginID string, st pb.LoginState) *pb.Event {
	return &pb.Event{LoginId: loginID, Payload: &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: st}}}
}

// The SDK stamps each login state with the connection of its login it
// is of: the number of the login's Connect under way or last made, its
// teardown's included, up to the next Connect, whose states then carry
// its number; another login's states their own, or none before its first
// Connect. A number the plugin set is kept; a host that sends none (0)
// gets none back, as from a plugin built before the field.
func TestLoginStateStampedWithConnection(t *testing.T) {
	n := &testNet[*stater]{}
	n.mk = func(l LoginInfo) *stater { return &stater{plain: plain{info: l}, host: n.host} }
	c := startServer(t, newConnectorTransport[*stater](n), "")
	ctx := testContext(t)
	r := openEvents(t, c)
	want := func(what, login string, st pb.LoginState, conn uint64) {
		t.Helper()
		ev := r.next(t)
		ls := ev.GetLoginState()
		if ev.LoginId != login || ls.GetState() != st || ls.GetConnection() != conn {
			t.Fatalf("%s: login %q state %v connection %d, want login %q state %v connection %d",
				what, ev.LoginId, ls.GetState(), ls.GetConnection(), login, st, conn)
		}
	}

	if _, err := c.Connect(ctx, &pb.ConnectRequest{LoginId: "a", Connection: 7}); err != nil {
		t.Fatal(err)
	}
	want("the first Connect's state", "a", pb.LoginState_LOGIN_STATE_CONNECTED, 7)
	// The network's goroutines, between Connects.
	n.host.Emit(stateEvent("a", pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT))
	want("a state after the first Connect", "a", pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, 7)
	if _, err := c.Disconnect(ctx, &pb.LoginRef{LoginId: "a"}); err != nil {
		t.Fatal(err)
	}
	want("the first connection's teardown", "a", pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, 7)

	if _, err := c.Connect(ctx, &pb.ConnectRequest{LoginId: "a", Connection: 9}); err != nil {
		t.Fatal(err)
	}
	want("the second Connect's state", "a", pb.LoginState_LOGIN_STATE_CONNECTED, 9)
	n.host.Emit(stateEvent("b", pb.LoginState_LOGIN_STATE_CONNECTED))
	want("a login never connected", "b", pb.LoginState_LOGIN_STATE_CONNECTED, 0)
	set := stateEvent("a", pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS)
	set.GetLoginState().Connection = 7
	n.host.Emit(set)
	want("a number the plugin set", "a", pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, 7)
	n.host.Emit(stateEvent("a", pb.LoginState_LOGIN_STATE_CONNECTED))
	want("a state after the second Connect", "a", pb.LoginState_LOGIN_STATE_CONNECTED, 9)

	if _, err := c.Connect(ctx, &pb.ConnectRequest{LoginId: "old"}); err != nil {
		t.Fatal(err)
	}
	want("a Connect without a number", "old", pb.LoginState_LOGIN_STATE_CONNECTED, 0)
}

// TestLateConnectKeepsNewestNumber: a Connect of a login whose call
// reaches the login's slot after a newer one (the host's call cut by its
// deadline while the slot was held, run once the slot is free; the slot
// does not take its waiters in order) does not take the login's states
// back to its number: the host ignores every state below its latest
// Connect's, and they were all dropped, the login's logout included.
func TestLateConnectKeepsNewestNumber(t *testing.T) {
	n := &testNet[*stater]{}
	n.mk = func(l LoginInfo) *stater { return &stater{plain: plain{info: l}, host: n.host} }
	c := startServer(t, newConnectorTransport[*stater](n), "")
	ctx := testContext(t)
	r := openEvents(t, c)

	for _, conn := range []uint64{9, 7} { // 7 the host's earlier Connect, run late
		if _, err := c.Connect(ctx, &pb.ConnectRequest{LoginId: "a", Connection: conn}); err != nil {
			t.Fatal(err)
		}
		ev := r.next(t)
		if got := ev.GetLoginState().GetConnection(); got != 9 {
			t.Fatalf("the state of the Connect numbered %d: connection %d, want 9 (the newest)", conn, got)
		}
	}
	n.host.Emit(stateEvent("a", pb.LoginState_LOGIN_STATE_LOGGED_OUT))
	if ev := r.next(t); ev.GetLoginState().GetState() != pb.LoginState_LOGIN_STATE_LOGGED_OUT || ev.GetLoginState().GetConnection() != 9 {
		t.Fatalf("the network's logout after both: %v connection %d, want LOGGED_OUT of 9", ev.GetLoginState().GetState(), ev.GetLoginState().GetConnection())
	}
}
