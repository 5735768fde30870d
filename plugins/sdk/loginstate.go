package sdk

import pb "passerelle.im/passerelle/plugins/proto"

// LoginState is an event that tells how loginID's connection stands (the
// contract's LoginStateEvent): CONNECTED once it is up, CONNECTING,
// TRANSIENT_DISCONNECT while the plugin reconnects by itself, and the
// states the user must act on, BAD_CREDENTIALS, LOGGED_OUT and STOPPED,
// whose message says why and what to change. Emit it with the Host's
// Emit: the SDK stamps it with the connection it is of (see
// Session.Connect), so leave that number unset.
func LoginState(loginID string, state pb.LoginState, message string) *pb.Event {
	return &pb.Event{LoginId: loginID,
		Payload: &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: state, Message: message}}}
}
