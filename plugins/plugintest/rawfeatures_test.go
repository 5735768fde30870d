package plugintest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A plugin without the SDK meets, in the features check, what the SDK
// did for it: ContactList and ChatList answered by every plugin (here
// left to gRPC's UNIMPLEMENTED), and files and polls within a send
// refused when not advertised (here echoed). The kit says what to do,
// and which command it sent, where it said only "ContactList:
// Unimplemented" and "not advertised, but the answer is <nil>" (met
// writing a new plugin in Python from examples/python-echo).
func TestFeaturesNameRawMistakes(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestConformanceRawSend$/^features$", "-test.v")
	cmd.Env = append(os.Environ(), "PLUGINTEST_RAWSEND=1", "RAWSEND=",
		"RAWSEND_NETWORK="+filepath.Join(t.TempDir(), "network"))
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the kit passed a plugin that answers no ContactList:\n%s", out)
	}
	for _, want := range []string{
		"ContactList: rpc error: code = Unimplemented desc = method ContactList not implemented (every plugin answers it, with no contact when the network has none to list",
		"ChatList: rpc error: code = Unimplemented desc = method ChatList not implemented (every plugin answers it, with no chat when the network has no groups",
		// prototext's spacing varies from build to build.
		"not advertised (Features.attachments unset), but the command SendMessage{attachments",
		`"plugintest.txt"`,
		"succeeded: refuse it as UNSUPPORTED, which the gateway trusts the capabilities for, or advertise it",
		"not advertised (Features.poll_create unset), but the command SendMessage{poll",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the kit's output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("the kit's output:\n%s", out)
	}
}
