package bridge

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestLoginStateTextOneFullStop: the notices of a login the network
// ended give the plugin's reason once as a sentence, not "(REASON.).".
func TestLoginStateTextOneFullStop(t *testing.T) {
	for _, st := range []pb.LoginState{
		pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS,
		pb.LoginState_LOGIN_STATE_LOGGED_OUT,
		pb.LoginState_LOGIN_STATE_STOPPED,
	} {
		for _, reason := range []string{"The phone unlinked this device.", "The phone unlinked this device"} {
			got := loginStateText("WhatsApp", st, reason)
			if !strings.Contains(got, ": The phone unlinked this device. ") || strings.Contains(got, "..") || strings.Contains(got, "(The") {
				t.Errorf("%v, reason %q: %q", st, reason, got)
			}
		}
		if got := loginStateText("WhatsApp", st, ""); strings.Contains(got, "..") || strings.Contains(got, "connection:") || strings.Contains(got, "credentials:") || strings.Contains(got, "WhatsApp:") || !strings.HasSuffix(got, ".") {
			t.Errorf("%v, no reason: %q", st, got)
		}
	}
	if got := loginStateText("WhatsApp", pb.LoginState_LOGIN_STATE_CONNECTED, "x"); got != "" {
		t.Errorf("connected: %q", got)
	}
}
