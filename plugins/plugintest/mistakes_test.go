package plugintest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The kit's failures name a newcomer's usual mistakes, and it stops at
// the first check the others depend on. Each case runs the kit in a
// child test process, whose failure is the point.
func TestConformanceNamesMistakes(t *testing.T) {
	if mode := os.Getenv("PLUGINTEST_MISTAKE"); mode != "" {
		kitTimeout := Timeout
		Timeout = 5 * time.Second
		cfg := Config{Binary: BuildBinary(t, minimalPkg), LoginFields: map[string]string{"username": "alice"}, Contact: "bob"}
		switch mode {
		case "nostart": // not a plugin at all
			cfg.Binary, cfg.Args = "/bin/sh", []string{"-c", "echo this is no plugin >&2; exit 3"}
		case "fields": // the form's field is "username"
			cfg.LoginFields = map[string]string{"user": "alice"}
		case "connecting": // the kit's own Timeout: its minute is not the connect's wait
			Timeout = kitTimeout
		case "sameincoming": // MINIMAL_INBOX delivers; the text is not new
			var n atomic.Int64
			dir := os.Getenv("MINIMAL_INBOX")
			cfg.Incoming = func(t testing.TB, _, _ string) string {
				name := filepath.Join(dir, fmt.Sprintf("in-%d", n.Add(1)))
				if err := os.WriteFile(name+".tmp", []byte("the same text"), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(name+".tmp", name); err != nil {
					t.Fatal(err)
				}
				return "the same text"
			}
		case "connecttimeout":
			Timeout, cfg.ConnectTimeout = kitTimeout, time.Second
		}
		Run(t, cfg)
		return
	}
	for _, c := range []struct {
		mode, env, run string
		want           []string
		not            []string
	}{
		{mode: "nostart", want: []string{
			"--- FAIL: TestConformanceNamesMistakes/init",
			"this is no plugin",
			"the plugin did not start and answer Init (see init above): the other checks are not run",
		}, not: []string{"TestConformanceNamesMistakes/login", "TestConformanceNamesMistakes/send"}},
		{mode: "fields", want: []string{
			"--- FAIL: TestConformanceNamesMistakes/login",
			`the form's fields are ["username"]; the answers name ["user"], which the form does not have; the required ["username"] left empty: the answers go by field ID`,
			"no login completed (see login above): the other checks, which all log in, are not run",
		}, not: []string{"TestConformanceNamesMistakes/connect", "TestConformanceNamesMistakes/send"}},
		{mode: "newloginid", env: "MINIMAL_NEW_LOGIN_ID=1", run: "/^login$", want: []string{
			"--- FAIL: TestConformanceNamesMistakes/login",
			`logging in again gave login_id "alice-`,
			"the same account must give the same login_id",
		}},
		{mode: "noconnected", env: "MINIMAL_NO_CONNECTED=1", want: []string{
			"--- FAIL: TestConformanceNamesMistakes/connect",
			`login "alice": no CONNECTED login state within 5s of Connect: no login state came (no other event came). Connect emits a LoginStateEvent with state CONNECTED once the login is connected`,
			"the login did not connect (see connect above): the other checks, which all connect, are not run",
		}, not: []string{"TestConformanceNamesMistakes/send"}},
		// With the kit's own Timeout (a minute), a login that never
		// says CONNECTED fails after DefaultConnectTimeout, saying what
		// came instead. Before, it took the whole minute.
		{mode: "connecting", env: "MINIMAL_CONNECTING=1", run: "/^connect$", want: []string{
			"--- FAIL: TestConformanceNamesMistakes/connect",
			`login "alice": no CONNECTED login state within 20s of Connect: its last state was LOGIN_STATE_CONNECTING ("dialling")`,
			"a network slower to connect than that sets Config.ConnectTimeout",
		}},
		{mode: "connecttimeout", env: "MINIMAL_NO_CONNECTED=1", run: "/^connect$", want: []string{
			"--- FAIL: TestConformanceNamesMistakes/connect",
			`login "alice": no CONNECTED login state within 1s of Connect: no login state came`,
		}},
		{mode: "stateonce", env: "MINIMAL_STATE_ONCE=1", run: "/^connect$", want: []string{
			"--- FAIL: TestConformanceNamesMistakes/connect",
			`login "alice" after a Disconnect and a new Connect (the gateway's relogin: tell the state at every Connect): no CONNECTED login state within 5s of Connect: no login state came`,
		}},
		// A state numbered with an earlier Connect's connection is
		// ignored by the gateway: the login would stay connecting.
		// Before, the kit sent no number and took any CONNECTED.
		{mode: "oldconnection", env: "MINIMAL_OLD_CONNECTION=1", run: "/^connect$", want: []string{
			"--- FAIL: TestConformanceNamesMistakes/connect",
			`login "alice": no CONNECTED login state within 5s of Connect: no login state came; a LOGIN_STATE_CONNECTED state came with connection 1, the number of an earlier Connect than this one's`,
			"which the gateway ignores as the state of a connection gone",
		}},
		{mode: "noecho", env: "MINIMAL_NO_ECHO=1", want: []string{
			"--- FAIL: TestConformanceNamesMistakes/send",
			`in bob (with no Config.Incoming, the network answers each message sent to Config.Contact with the same text, as a MessageEvent; a network that does not sets Config.Incoming) after 5s`,
			"no echo came (see send above)",
			"The other checks, which all wait for it, are not run",
		}, not: []string{"TestConformanceNamesMistakes/order", "TestConformanceNamesMistakes/receive", "TestConformanceNamesMistakes/stop"}},
		// An echo that stops after a restart is the send check's
		// failure alone: the network echoes, the later checks run.
		{mode: "muterestarted", env: "MINIMAL_MUTE_RESTARTED=1", run: "/^(send|order)$", want: []string{
			"--- FAIL: TestConformanceNamesMistakes/send",
			"--- PASS: TestConformanceNamesMistakes/order",
		}, not: []string{"no echo came"}},
		{mode: "notime", env: "MINIMAL_NO_TIME=1", run: "/^receive$", want: []string{
			"--- FAIL: TestConformanceNamesMistakes/receive",
			"the message event has no timestamp_unix_micro: set it to the network's time of the message",
		}},
		{mode: "latesend", env: "MINIMAL_LATE_SEND=1", run: "/^send$", want: []string{
			"--- FAIL: TestConformanceNamesMistakes/send",
			"answered as sent just before a SIGKILL, was never echoed, in the process or after the restart: answer a send only once the network has taken the message",
		}},
		// Message IDs that start again at each start of the process:
		// a new message after the restart takes an old one's ID.
		{mode: "counterids", env: "MINIMAL_COUNTER_IDS=1", run: "/^send$", want: []string{
			"--- FAIL: TestConformanceNamesMistakes/send",
			`a new message sent after a restart was answered with message_id "m-`,
			`", sent before the restart`,
			"message IDs must stay unique across restarts of the plugin",
		}},
		{mode: "ownecho", env: "MINIMAL_OWN_ECHO=1", run: "/^send$", want: []string{
			"--- FAIL: TestConformanceNamesMistakes/send",
			`(is_from_me), sent with txn_id "plugintest txn `,
			`.mine" and txn_id "": the gateway takes it for a message from another device and shows it a second time`,
		}},
		{mode: "untyped", env: "MINIMAL_UNTYPED=1", run: "/^send$", want: []string{
			"--- FAIL: TestConformanceNamesMistakes/send",
			"send to a chat the network does not know (plugintest-no-such-chat):",
			"refuse with a kind (NOT_FOUND for no such chat",
		}},
		{mode: "nosender", env: "MINIMAL_NO_SENDER=1", run: "/^receive$", want: []string{
			"--- FAIL: TestConformanceNamesMistakes/receive",
			`the message event's sender.user_id = "", want "bob": set Event.sender to who wrote it`,
		}},
		{mode: "sameincoming", env: "MINIMAL_INBOX=" + t.TempDir(), run: "/^replay$", want: []string{
			"--- FAIL: TestConformanceNamesMistakes/replay",
			`Config.Incoming returned "the same text" a second time: return a new text at each call`,
		}},
		{mode: "noid", env: "MINIMAL_NO_ID=1", run: "/^receive$", want: []string{
			"--- FAIL: TestConformanceNamesMistakes/receive",
			"the message event has no event_id: set it to the network's ID of the message",
		}},
		{mode: "quote", env: "MINIMAL_QUOTE=1", run: "/^send$", want: []string{
			"--- FAIL: TestConformanceNamesMistakes/send",
			"a MessageEvent with a quote (quote_text, quote_author_id or quote_from_me) but no reply_to_id: the quote is of the message replied to",
		}},
		{mode: "hangstop", env: "MINIMAL_HANG_STOP=1", run: "/^stop$", want: []string{
			"--- FAIL: TestConformanceNamesMistakes/stop",
			"after the gateway's Shutdown the plugin ended with status -1, want 0: it did not exit by itself within go-plugin's 2 s and was killed",
		}},
	} {
		t.Run(c.mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestConformanceNamesMistakes$"+c.run, "-test.v")
			cmd.Env = append(os.Environ(), "PLUGINTEST_MISTAKE="+c.mode)
			if c.env != "" {
				cmd.Env = append(cmd.Env, c.env)
			}
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the kit passed a plugin with a mistake:\n%s", out)
			}
			for _, want := range c.want {
				if !strings.Contains(string(out), want) {
					t.Errorf("the kit's output lacks %q", want)
				}
			}
			for _, not := range c.not {
				if strings.Contains(string(out), not) {
					t.Errorf("the kit's output has %q: a check that could only fail again was run", not)
				}
			}
			if t.Failed() {
				t.Logf("the kit's output:\n%s", out)
			}
		})
	}
}
