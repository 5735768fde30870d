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

// Signal's servers refusing signal-cli as too old: signal-cli logs why at
// its start and exits, its last line only "Failed to load local accounts
// file". The login says so and what to do (the admin updates
// signal-cli), signal-cli is not started again in a loop (each start
// asks Signal's servers, refused the same), and once its file changes
// (updated) it starts and the login connects. Before, the login said
// only "Failed to load local accounts file; restarting it", and
// signal-cli was started again every 30 s for good.
func TestSignalCLITooOldTold(t *testing.T) {
	built := plugintest.BuildBinary(t, fakeCLIPkg)
	// A copy of its own: the test updates it.
	cli := filepath.Join(t.TempDir(), "signal-cli")
	b, err := os.ReadFile(built)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cli, b, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FAKESIGNAL_ACCOUNTS", alice+":"+aliceACI)
	dataDir := t.TempDir()
	cfg, _ := json.Marshal(map[string]any{"signal_cli": cli, "data_dir": dataDir, "accounts": adminAccounts()})
	p := plugintest.Start(t, pluginBinary(t), "", cfg)
	done := p.Login("existing", map[string]string{"account": alice})
	evs := p.Events()
	p.Connect(done.LoginId, done.SavedState)
	state := func(match func(*pb.LoginStateEvent) bool) {
		t.Helper()
		evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState() != nil && match(ev.GetLoginState()) })
	}
	state(func(st *pb.LoginStateEvent) bool { return st.State == pb.LoginState_LOGIN_STATE_CONNECTED })

	// signal-cli restarts, and Signal's servers now refuse its version.
	why := "ERROR MultiAccountManager - Failed to load " + alice + ": signal-cli version is too old for the Signal-Server, please update. (IOException)\nFailed to load local accounts file"
	if err := os.WriteFile(filepath.Join(dataDir, "fail"), []byte(why), 0o600); err != nil {
		t.Fatal(err)
	}
	pb0, err := os.ReadFile(filepath.Join(dataDir, "fake.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(string(pb0))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	state(func(st *pb.LoginStateEvent) bool {
		return st.State == pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT && strings.Contains(st.Message, "too old") && strings.Contains(st.Message, "update signal-cli")
	})
	starts := func() int {
		b, _ := os.ReadFile(filepath.Join(dataDir, "starts"))
		return strings.Count(string(b), "\n")
	}
	// Not started again meanwhile: a loop would have restarted it
	// (after 0.5, 1, 2 s) by now.
	n := starts()
	time.Sleep(4 * time.Second)
	if now := starts(); now != n {
		t.Fatalf("signal-cli refused as too old was started again %d times without being updated", now-n)
	}

	// The admin updates signal-cli: it starts, the login connects.
	os.Remove(filepath.Join(dataDir, "fail"))
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(cli, later, later); err != nil {
		t.Fatal(err)
	}
	state(func(st *pb.LoginStateEvent) bool { return st.State == pb.LoginState_LOGIN_STATE_CONNECTED })
}
