package signal_test

import (
	"strings"
	"syscall"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// signal-cli dying under a login is told, once the login is back, as a
// notice of the account saying it stopped, why, and that it was
// started again: the login's state said it only in the gateway's
// presence, which "connected" replaced moments later. Each exit is its
// own notice. Before, only the log kept it.
func TestSignalCLIRestartTold(t *testing.T) {
	_, _, evs, dataDir := supervisedLogin(t, nil)
	connected := func(ev *pb.Event) bool {
		if ev.GetNotice() != nil {
			t.Errorf("a notice before signal-cli stopped: %v", ev)
		}
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	}
	evs.NextEvent(connected)
	// kill kills the running signal-cli, not the one killed last.
	killed := 0
	kill := func() {
		t.Helper()
		killed = fakeCLIPid(t, dataDir, killed)
		if err := syscall.Kill(killed, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	}
	notice := func() *pb.Event {
		t.Helper()
		ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetNotice() != nil })
		if n := ev.GetNotice(); ev.ChatId != "" || ev.EventId == "" || n.Level != pb.NoticeLevel_NOTICE_LEVEL_WARNING ||
			!strings.Contains(n.Text, "signal-cli") || !strings.Contains(n.Text, "killed") || !strings.Contains(n.Text, "started again") {
			t.Fatalf("notice %v, want a warning of the account that signal-cli was killed and started again", ev)
		}
		return ev
	}
	kill()
	first := notice()
	kill()
	if second := notice(); second.EventId == first.EventId {
		t.Fatalf("two exits told under one ID %q", first.EventId)
	}
}
