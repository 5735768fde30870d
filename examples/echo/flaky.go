package echo

import (
	"strings"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// FlakyMark in a username makes a login whose first Connect (in this
// plugin process) fails for now: TRANSIENT_DISCONNECT with FlakyReason,
// then, FlakyRetry later, CONNECTED, as a network whose first dial
// fails and whose next attempt gets through. Later Connects of the
// login connect at once.
const (
	FlakyMark   = "+flaky"
	FlakyReason = "could not reach " + EchoServer + ": network unreachable; trying again"
	FlakyRetry  = time.Second
)

// HiccupMark in a username makes a login as FlakyMark does, whose
// retry is at once: its CONNECTED follows the failure closely, before
// or after the gateway's answer to the login is sent.
const HiccupMark = "+hiccup"

// flakyConnect reports the failed first attempt and schedules up, the
// attempt that connects; false: the login failed once already, and
// connects at once.
func (s *Session) flakyConnect(up func()) bool {
	if _, failed := s.n.flaked.LoadOrStore(s.loginID, true); failed {
		return false
	}
	s.emit(&pb.Event{LoginId: s.loginID, TimestampUnixMicro: time.Now().UnixMicro(),
		Payload: &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, Message: FlakyReason}}})
	retry := FlakyRetry
	if strings.Contains(s.loginID, HiccupMark) {
		retry = 0
	}
	s.after(retry, up)
	return true
}
