package signal_test

import (
	"strings"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A device Signal no longer knows (unlinked from the phone) is a login to
// do again: its commands are refused at once as LOGIN_REQUIRED
// (registration-required), not held SendWait for a daemon that is there
// and then refused as unavailable.
func TestUnlinkedDeviceCommands(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	d.Crash()
	s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT)
	d.Unregister(alice)
	if err := d.Restart(); err != nil {
		t.Fatal(err)
	}
	s.state(pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS)
	start := time.Now()
	res := s.do(bob, &pb.SendMessage{Text: "into the void"})
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED || time.Since(start) > 5*time.Second {
		t.Fatalf("a send from an unlinked device: %v after %v, want LOGIN_REQUIRED at once", res, time.Since(start))
	}
}

// A device unlinked from the phone while signal-cli runs: signal-cli
// learns it from Signal, drops the account and ends its subscription
// without a word. The next command finds it (signal-cli answers that it
// has no such account): it is refused as LOGIN_REQUIRED and the login
// goes to BAD_CREDENTIALS saying to log in again. Before, the command
// was a BAD_REQUEST in signal-cli's words and the login stayed
// connected, receiving nothing.
func TestUnlinkedWhileRunning(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	d.Unlink(alice)
	res := s.do(bob, &pb.SendMessage{Text: "into the void"})
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED {
		t.Fatalf("a send after the device was unlinked: %v, want LOGIN_REQUIRED", res)
	}
	if st := s.state(pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS); !strings.Contains(st.Message, "log in again") {
		t.Fatalf("login state %q, want it to say to log in again", st.Message)
	}
	if res := s.do(bob, &pb.SendMessage{Text: "again"}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED {
		t.Fatalf("the next send: %v, want LOGIN_REQUIRED", res)
	}
}
