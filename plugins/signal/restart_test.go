package signal_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// signal-cli dying under a login is told, once the login is back, as a
// notice of the account saying it stopped, why, and that it was
// started again: the login's state said it only in the gateway's
// presence, which "connected" replaced moments later. Each exit is its
// own notice. Before, only the log kept it.
func TestSignalCLIRestartTold(t *testing.T) {
	cli := plugintest.BuildBinary(t, fakeCLIPkg)
	t.Setenv("FAKESIGNAL_ACCOUNTS", alice+":"+aliceACI)
	dataDir := t.TempDir()
	cfg, _ := json.Marshal(map[string]any{"signal_cli": cli, "data_dir": dataDir, "accounts": adminAccounts()})
	p := plugintest.Start(t, pluginBinary(t), "", cfg)
	done := p.Login("existing", map[string]string{"account": alice})
	evs := p.Events()
	p.Connect(done.LoginId, done.SavedState)
	connected := func(ev *pb.Event) bool {
		if ev.GetNotice() != nil {
			t.Errorf("a notice before signal-cli stopped: %v", ev)
		}
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	}
	evs.NextEvent(connected)
	// kill kills the running signal-cli: the one fake.pid names once it
	// names another than the one killed last (a new one writes it after
	// it listens, so the login may be back before).
	killed := 0
	kill := func() {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			b, _ := os.ReadFile(filepath.Join(dataDir, "fake.pid"))
			if pid, _ := strconv.Atoi(string(b)); pid > 0 && pid != killed {
				if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				killed = pid
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("fake.pid names no signal-cli but the one killed: %q", b)
			}
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
