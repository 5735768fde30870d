package plugintest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// rawSendPkg is a plugin that speaks the contract without the SDK, and
// breaks it as RAWSEND says (testdata/rawsend).
const rawSendPkg = "passerelle.im/passerelle/plugins/plugintest/testdata/rawsend"

// The kit holds a plugin without the SDK to what the SDK does for Go
// plugins: the answers to txn_ids kept across a crash, repeated whole,
// metadata the host keeps, NOT_FOUND for a login process it does not
// know, a send that went in part answered with what went and its error,
// a message sent before a restart edited by its meta, a send answered
// only once the network has it, events and history batches the gateway
// would not drop. The checks run in a child test process, whose failure is the
// point; the plugin as it should be passes them.
func TestConformanceRawSend(t *testing.T) {
	if os.Getenv("PLUGINTEST_RAWSEND") != "" {
		Timeout = 5 * time.Second
		Run(t, Config{Binary: BuildBinary(t, rawSendPkg), LoginFields: map[string]string{"username": "alice"}, Contact: "bob",
			Group:      os.Getenv("RAWSEND_GROUP"),
			PartlySent: &pb.SendMessage{Text: "partly hello"},
			// Its events are in memory only: what the network took is
			// in its file.
			Delivered: func(t testing.TB, _, chatID string) []string {
				b, err := os.ReadFile(os.Getenv("RAWSEND_NETWORK"))
				if err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
				var texts []string
				for line := range strings.Lines(string(b)) {
					if chat, text, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "\t"); ok && chat == chatID {
						texts = append(texts, text)
					}
				}
				return texts
			}})
		return
	}
	for _, c := range []struct {
		mode  string
		run   string // the checks run; "" = init, login, connect, send, partly, errors
		group string // Config.Group
		want  []string
	}{
		{mode: "", want: []string{
			"--- PASS: TestConformanceRawSend/login",
			"--- PASS: TestConformanceRawSend/send",
			"--- PASS: TestConformanceRawSend/errors",
			"--- PASS: TestConformanceRawSend/partly",
		}},
		{mode: "partlyerror", want: []string{
			"--- FAIL: TestConformanceRawSend/partly",
			"want both the message_id of what went and the error of what did not",
		}},
		{mode: "partlyforget", want: []string{
			"--- FAIL: TestConformanceRawSend/partly",
			"repeated txn_id of a send that went in part: got",
		}},
		{mode: "forget", want: []string{
			"--- FAIL: TestConformanceRawSend/send",
			"repeated txn_id after a SIGKILL and a restart",
			"was echoed 1 more times, want none",
		}},
		{mode: "late", want: []string{
			"--- FAIL: TestConformanceRawSend/send",
			"answered as sent just before a SIGKILL, never reached the network: answer a send only once the network has taken the message",
		}},
		{mode: "nometa", want: []string{
			"--- FAIL: TestConformanceRawSend/send",
			"repeated txn_id: got",
		}},
		{mode: "bigmeta", want: []string{
			"--- FAIL: TestConformanceRawSend/send",
			"send result: meta is 2048 bytes, more than the 1024 the host keeps",
		}},
		// Events and a history batch the gateway would drop, each
		// named with its field and the contract's limit. Before, the
		// kit passed them: only the Go SDK checked, at emit.
		{mode: "badevents", run: "/^(send|features)$/^backfill$", want: []string{
			"--- FAIL: TestConformanceRawSend/send",
			`the gateway would drop it: a message event's event_id "`,
			`\x00nul" holds a NUL byte, which no ID may: escape it`,
			"the gateway would drop it: a message event's event_id is 4122 bytes, over the contract's 4096 (LIMIT_ID_BYTES)",
			"the gateway would drop it: a message event's meta is 2048 bytes, over the contract's 1024 (LIMIT_META_BYTES)",
			"the gateway would drop it: a typing event with no chat_id",
			"the gateway would drop it: a message event with no login_id",
			"--- FAIL: TestConformanceRawSend/features/backfill",
			"history batch 1: the gateway would refuse it: a history batch that is not done needs its cursor",
		}},
		// What the plugin does not do is refused cleanly: an answer
		// the user reads, every command (DeclineInvite, which has no
		// feature, too), and the groups it lists advertised. Before,
		// the kit passed each.
		{mode: "", run: "/^features$/^(typing|decline_invite)$", want: []string{
			"--- PASS: TestConformanceRawSend/features/typing",
			"--- PASS: TestConformanceRawSend/features/decline_invite",
		}},
		{mode: "ungrouped", run: "/^features$/^profiles$", want: []string{
			"--- FAIL: TestConformanceRawSend/features/profiles",
			`ChatList lists the CHAT_TYPE_GROUP "lobby", but Features.groups is unset: the gateway never asks for the list nor makes rooms without it`,
		}},
		{mode: "baretext", run: "/^features$/^(typing|decline_invite)$", want: []string{
			"--- FAIL: TestConformanceRawSend/features/typing",
			"not advertised (Features.typing unset), and the command SetTyping{state:TYPING_STATE_COMPOSING} was refused as UNSUPPORTED without a text: the user reads it",
			"--- FAIL: TestConformanceRawSend/features/decline_invite",
			`the command DeclineInvite{reason:"plugintest"} in bob was refused as ERROR_CODE_UNSUPPORTED without a text: the user reads it`,
		}},
		// With Config.Group, a message to the group goes as to the
		// contact. Before, the kit sent none there.
		{mode: "groups", group: "lobby", run: "/^features$/^(profiles|group_send)$", want: []string{
			"--- PASS: TestConformanceRawSend/features/profiles",
			"--- PASS: TestConformanceRawSend/features/group_send",
		}},
		{mode: "nogroupsend", group: "lobby", run: "/^features$/^group_send$", want: []string{
			"--- FAIL: TestConformanceRawSend/features/group_send",
			"a message to Config.Group lobby: ",
			"want a message_id, as for a contact",
		}},
		{mode: "declineok", run: "/^features$/^decline_invite$", want: []string{
			"--- FAIL: TestConformanceRawSend/features/decline_invite",
			`the command DeclineInvite{reason:"plugintest"} in bob, a direct chat the user is not invited to, succeeded: refuse it`,
		}},
		{mode: "memedits", want: []string{
			"--- FAIL: TestConformanceRawSend/send",
			"an edit of a message sent before a SIGKILL and a restart, named by its message_id and the meta the host keeps",
			"ERROR_CODE_NOT_FOUND",
		}},
		{mode: "loginnotfound", want: []string{
			"--- FAIL: TestConformanceRawSend/send",
			"send for an unknown login:",
			"want LOGIN_REQUIRED",
		}},
		{mode: "cancelbad", want: []string{
			"--- FAIL: TestConformanceRawSend/login",
			"SubmitLoginInput on a cancelled process: rpc error: code = InvalidArgument",
			"want NOT_FOUND",
			"--- FAIL: TestConformanceRawSend/errors",
			"SubmitLoginInput on an unknown process: rpc error: code = InvalidArgument",
		}},
	} {
		name := c.mode
		if name == "" {
			name = "conforming"
			if c.run != "" {
				name = "conforming_refusals"
			}
		}
		t.Run(name, func(t *testing.T) {
			run := c.run
			if run == "" {
				run = "/^(init|login|connect|send|partly|errors)$"
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestConformanceRawSend$"+run, "-test.v")
			cmd.Env = append(os.Environ(), "PLUGINTEST_RAWSEND=1", "RAWSEND="+c.mode, "RAWSEND_GROUP="+c.group,
				"RAWSEND_NETWORK="+filepath.Join(t.TempDir(), "network"))
			out, err := cmd.CombinedOutput()
			if (c.mode == "" || c.mode == "groups") && err != nil {
				t.Errorf("the kit failed the plugin as it should be: %v", err)
			}
			if c.mode != "" && c.mode != "groups" && err == nil {
				t.Errorf("the kit passed a plugin in mode %s", c.mode)
			}
			for _, want := range c.want {
				if !strings.Contains(string(out), want) {
					t.Errorf("the kit's output lacks %q", want)
				}
			}
			if t.Failed() {
				t.Logf("the kit's output:\n%s", out)
			}
		})
	}
}
