package signal_test

import (
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
