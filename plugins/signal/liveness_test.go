package signal_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// livelySession is newSession with signal-cli asked every second
// whether it answers (liveness_check_seconds).
func livelySession(t *testing.T, d *fakesignal.Daemon) *session {
	t.Helper()
	cfg, _ := json.Marshal(map[string]any{"socket": d.Path(), "accounts": adminAccounts(), "liveness_check_seconds": 1})
	p := plugintest.Start(t, pluginBinary(t), "", cfg)
	done := p.Login("existing", map[string]string{"account": alice})
	s := &session{t: t, d: d, p: p, loginID: done.LoginId, saved: done.SavedState, dir: t.TempDir()}
	s.evs = p.Events()
	s.connect(done.SavedState)
	s.cmds = p.Commands()
	return s
}

// A device unlinked from the phone while the login is idle: signal-cli
// drops the account without a word, and the periodic check finds it no
// longer listed: the login goes to BAD_CREDENTIALS saying to log in
// again, with no command sent. Before, only the next command found it.
func TestUnlinkedWhileIdle(t *testing.T) {
	d, _ := startFake(t)
	s := livelySession(t, d)
	// The connection's own reads (the groups, their members' names)
	// done first: they too would find the account gone.
	for d.Calls("listContacts") == 0 {
		time.Sleep(time.Millisecond)
	}
	if res := s.do(bob, &pb.SendMessage{Text: "before"}); res.Error != nil {
		t.Fatal(res.Error)
	}
	d.Unlink(alice)
	if st := s.state(pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS); !strings.Contains(st.Message, "log in again") {
		t.Fatalf("login state %q, want it to say to log in again", st.Message)
	}
	if res := s.do(bob, &pb.SendMessage{Text: "into the void"}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED {
		t.Fatalf("a send after: %v, want LOGIN_REQUIRED", res)
	}
}

// A signal-cli hung with its socket open (no answers) is noticed by the
// periodic check: the login is told disconnected, saying signal-cli
// does not answer, and connected again once it answers. Before, only
// commands timing out showed it.
func TestHungDaemonTold(t *testing.T) {
	d, _ := startFake(t)
	s := livelySession(t, d)
	d.Stall("listAccounts")
	if st := s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT); !strings.Contains(st.Message, "does not answer") {
		t.Fatalf("login state %q, want it to say signal-cli does not answer", st.Message)
	}
	// It answers again (an admin's daemon, not restarted): connected.
	d.Unstall("listAccounts")
	s.state(pb.LoginState_LOGIN_STATE_CONNECTED)
}

// The supervised signal-cli hung is killed and started again, and the
// login connects to the new one. Before, it stayed hung.
func TestHungDaemonRestarted(t *testing.T) {
	_, _, evs, dataDir := supervisedLogin(t, map[string]any{"liveness_check_seconds": 1})
	state := func(want pb.LoginState) string {
		t.Helper()
		return evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == want }).GetLoginState().Message
	}
	state(pb.LoginState_LOGIN_STATE_CONNECTED)
	first := fakeCLIPid(t, dataDir, 0)
	// It hangs.
	if err := os.WriteFile(filepath.Join(dataDir, "stall"), []byte("listAccounts\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(first, syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if msg := state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT); !strings.Contains(msg, "does not answer") || !strings.Contains(msg, "restarting") {
		t.Fatalf("login state %q, want it to say signal-cli does not answer and is restarted", msg)
	}
	os.Remove(filepath.Join(dataDir, "stall"))
	state(pb.LoginState_LOGIN_STATE_CONNECTED)
	fakeCLIPid(t, dataDir, first) // a new signal-cli
}
