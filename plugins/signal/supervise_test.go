package signal_test

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

const fakeCLIPkg = "passerelle.im/passerelle/plugins/signal/testdata/fake-signal-cli"

// supervisedLogin starts the plugin running the fake signal-cli with
// alice's account in a data folder of its own (extra adds to the
// transport's config), and logs alice in and connects her login. It
// returns the plugin, the login, the events from before the connection,
// and signal-cli's data folder.
func supervisedLogin(t *testing.T, extra map[string]any) (*plugintest.Plugin, *pb.CompleteStep, *plugintest.EventStream, string) {
	t.Helper()
	cli := plugintest.BuildBinary(t, fakeCLIPkg)
	t.Setenv("FAKESIGNAL_ACCOUNTS", alice+":"+aliceACI)
	dataDir := t.TempDir()
	cfg := map[string]any{"signal_cli": cli, "data_dir": dataDir, "accounts": adminAccounts()}
	maps.Copy(cfg, extra)
	b, _ := json.Marshal(cfg)
	p := plugintest.Start(t, pluginBinary(t), "", b)
	done := p.Login("existing", map[string]string{"account": alice})
	evs := p.Events()
	p.Connect(done.LoginId, done.SavedState)
	return p, done, evs, dataDir
}

// fakeCLIPid is the pid of the fake signal-cli running in dataDir once
// fake.pid names another than not (0: any): a new one writes it after it
// listens, so a login may be back on it before. It fails the test after
// 20 s.
func fakeCLIPid(t *testing.T, dataDir string, not int) int {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(filepath.Join(dataDir, "fake.pid"))
		if pid, _ := strconv.Atoi(string(b)); pid > 0 && pid != not {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new signal-cli: fake.pid names %q", b)
		}
	}
}

// The plugin starts signal-cli (with the configured JAVA_HOME), and
// starts it again when it dies; the session comes back by itself.
func TestSupervisedDaemon(t *testing.T) {
	p, done, evs, dataDir := supervisedLogin(t, map[string]any{"java_home": "/opt/java-21"})
	waitState := func(want pb.LoginState) string {
		t.Helper()
		return evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == want }).GetLoginState().Message
	}
	waitState(pb.LoginState_LOGIN_STATE_CONNECTED)
	if b, _ := os.ReadFile(filepath.Join(dataDir, "java_home")); string(b) != "/opt/java-21" {
		t.Errorf("signal-cli ran with JAVA_HOME %q", b)
	}
	// Stories are not shown: signal-cli is told not to fetch them (nor
	// their files, which piled up in its attachments folder).
	b, _ := os.ReadFile(filepath.Join(dataDir, "daemon-args"))
	if args := strings.Split(string(b), "\n"); !slices.Contains(args, "--ignore-stories") || !slices.Contains(args, "--receive-mode") {
		t.Errorf("signal-cli's daemon ran with %q, want --ignore-stories", args)
	}
	first := fakeCLIPid(t, dataDir, 0)
	// signal-cli dies.
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if msg := waitState(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT); !strings.Contains(msg, "unreachable") {
		t.Errorf("state message %q", msg)
	}
	waitState(pb.LoginState_LOGIN_STATE_CONNECTED)
	pid := fakeCLIPid(t, dataDir, first) // a new signal-cli
	if res := p.Commands().Send(plugintest.SendText(done.LoginId, bob, "txn-after-restart", "after the restart")); res.Error != nil {
		t.Fatalf("send after the restart: %v", res.Error)
	}
	// The plugin dies: signal-cli goes with it (no daemon left holding
	// the socket and the accounts).
	p.Kill()
	for deadline := time.Now().Add(10 * time.Second); syscall.Kill(pid, 0) == nil; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatal("signal-cli outlived the plugin")
		}
	}
}

// A signal-cli that dies at start is a clear error (one not installed is
// refused at Init: TestConfigSignalCLIMissing).
func TestSignalCLIMissing(t *testing.T) {
	for name, tc := range map[string]struct {
		fail, noise, want string
	}{
		"no java": {fail: "JAVA_HOME is not set and no 'java' command could be found", want: "no 'java' command"},
		// Its last word after much log (more than a pipe holds) is
		// still the one told.
		"after a long log": {fail: "Config file is in use by another instance, waiting", noise: "5000", want: "in use by another instance"},
	} {
		t.Run(name, func(t *testing.T) {
			cli := plugintest.BuildBinary(t, fakeCLIPkg)
			t.Setenv("FAKESIGNAL_FAIL", tc.fail)
			t.Setenv("FAKESIGNAL_NOISE", tc.noise)
			cfg, _ := json.Marshal(map[string]string{"signal_cli": cli, "data_dir": t.TempDir()})
			p := plugintest.Start(t, pluginBinary(t), "", cfg)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := p.Client().StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID, FlowId: "link"})
			if e := sdk.FromGRPC(err); e.Code != pb.ErrorCode_ERROR_CODE_UNAVAILABLE || !strings.Contains(e.Text, tc.want) {
				t.Fatalf("StartLogin: %v, want UNAVAILABLE saying %q", err, tc.want)
			}
		})
	}
}

// signal-cli dying and failing to start again: the login says why, in
// signal-cli's last words, as soon as the supervisor knows it, and again
// at each failed start; once it starts, the login is connected. Before,
// the connection's drop was told before the supervisor learnt why, so
// the login said only "signal-cli is starting" (or why it died before)
// for as long as it could not start.
func TestRestartFailureTold(t *testing.T) {
	_, _, evs, dataDir := supervisedLogin(t, nil)
	state := func(match func(*pb.LoginStateEvent) bool) {
		t.Helper()
		evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState() != nil && match(ev.GetLoginState()) })
	}
	state(func(st *pb.LoginStateEvent) bool { return st.State == pb.LoginState_LOGIN_STATE_CONNECTED })
	pid := fakeCLIPid(t, dataDir, 0)
	const why = "Error: LinkageError occurred while loading main class org.asamk.signal.Main"
	if err := os.WriteFile(filepath.Join(dataDir, "fail"), []byte(why), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	state(func(st *pb.LoginStateEvent) bool {
		return st.State == pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT && strings.Contains(st.Message, why)
	})
	os.Remove(filepath.Join(dataDir, "fail"))
	state(func(st *pb.LoginStateEvent) bool { return st.State == pb.LoginState_LOGIN_STATE_CONNECTED })
}
