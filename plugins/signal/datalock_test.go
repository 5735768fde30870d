package signal_test

import (
	"context"
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
	"passerelle.im/passerelle/plugins/sdk"
)

// holdLock takes the fake signal-cli's account lock in dataDir, as
// another signal-cli using the same data folder would; release frees it.
func holdLock(t *testing.T, dataDir string) (release func()) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dataDir, "account.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	released := false
	release = func() {
		if !released {
			released = true
			f.Close()
		}
	}
	t.Cleanup(release)
	return release
}

// Another signal-cli holding the data folder (a second daemon, a
// command run by hand with the same --config): signal-cli says it waits
// for it, and waits, without its socket. The login says so and what to
// do, at a login and for a connected login whose signal-cli restarted
// meanwhile, and connects once the other one ends. Before, a login
// waited 30 s to say "signal-cli is starting", and a connected one said
// only that signal-cli exited and restarts, for as long as the other ran.
func TestDataFolderLockedTold(t *testing.T) {
	cli := plugintest.BuildBinary(t, fakeCLIPkg)
	t.Setenv("FAKESIGNAL_ACCOUNTS", alice+":"+aliceACI)
	dataDir := t.TempDir()
	cfg, _ := json.Marshal(map[string]any{"signal_cli": cli, "data_dir": dataDir, "accounts": adminAccounts()})
	p := plugintest.Start(t, pluginBinary(t), "", cfg)
	const told = "in use by another signal-cli"

	// At a login: told at once, not after the socket's wait.
	release := holdLock(t, dataDir)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := p.Client().StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID, FlowId: "link"})
	if e := sdk.FromGRPC(err); e.Code != pb.ErrorCode_ERROR_CODE_UNAVAILABLE || !strings.Contains(e.Text, told) || !strings.Contains(e.Text, dataDir) {
		t.Fatalf("StartLogin with the data folder locked: %v, want UNAVAILABLE saying it is %s (%s)", err, told, dataDir)
	}
	release()

	// Free again: the login goes through.
	done := p.Login("existing", map[string]string{"account": alice})
	evs := p.Events()
	p.Connect(done.LoginId, done.SavedState)
	state := func(match func(*pb.LoginStateEvent) bool) {
		t.Helper()
		evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState() != nil && match(ev.GetLoginState()) })
	}
	state(func(st *pb.LoginStateEvent) bool { return st.State == pb.LoginState_LOGIN_STATE_CONNECTED })

	// signal-cli dies, and another signal-cli took the folder meanwhile.
	b, err := os.ReadFile(filepath.Join(dataDir, "fake.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(string(b))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// The dead one's lock goes with it; the other one takes it then.
	release = holdLock(t, dataDir)
	state(func(st *pb.LoginStateEvent) bool {
		return st.State == pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT && strings.Contains(st.Message, told)
	})
	release()
	state(func(st *pb.LoginStateEvent) bool { return st.State == pb.LoginState_LOGIN_STATE_CONNECTED })
	if res := p.Commands().Send(plugintest.SendText(done.LoginId, bob, "txn-after-lock", "after the other signal-cli")); res.Error != nil {
		t.Fatalf("send once the folder is free: %v", res.Error)
	}
}
