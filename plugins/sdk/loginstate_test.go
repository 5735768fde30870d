package sdk

import (
	"context"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// refuser says, with sdk.LoginState, that the network refused its
// credentials as it connects.
type refuser struct {
	plain
	host Host
}

func (s *refuser) Connect(context.Context) error {
	s.host.Emit(LoginState(s.info.LoginID, pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, "the password changed"))
	return nil
}

// LoginState makes the state event a plugin would write by hand: the
// host gets the login, the state and its message, stamped with the
// Connect's connection like any state.
func TestLoginStateHelper(t *testing.T) {
	n := &testNet[*refuser]{}
	n.mk = func(l LoginInfo) *refuser { return &refuser{plain: plain{info: l}, host: n.host} }
	c := startServer(t, newConnectorTransport[*refuser](n), "")
	r := openEvents(t, c)
	if _, err := c.Connect(testContext(t), &pb.ConnectRequest{LoginId: "a", Connection: 5}); err != nil {
		t.Fatal(err)
	}
	ev := r.next(t)
	ls := ev.GetLoginState()
	if ev.LoginId != "a" || ls.GetState() != pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS ||
		ls.GetMessage() != "the password changed" || ls.GetConnection() != 5 {
		t.Fatalf("got login %q state %v message %q connection %d, want login \"a\" BAD_CREDENTIALS \"the password changed\" connection 5",
			ev.LoginId, ls.GetState(), ls.GetMessage(), ls.GetConnection())
	}
	if err := CheckEvent(LoginState("a", pb.LoginState_LOGIN_STATE_CONNECTED, "")); err != nil {
		t.Errorf("CheckEvent refuses a LoginState: %v", err)
	}
}
