package bridge

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// TestReloginFailedOneFullStop: the answer to a relogin whose Connect
// failed ends the plugin's reason with one full stop, whether the
// plugin wrote one or not. A reason of its own full stop read
// "unreadable.. Your login is kept".
func TestReloginFailedOneFullStop(t *testing.T) {
	const next = "Your login is kept: the relogin command (or \"relogin\" here) tries again."
	for reason, want := range map[string]string{
		"the session file is unreadable":    "Relogin failed: the session file is unreadable. " + next,
		"The session file is unreadable.":   "Relogin failed: The session file is unreadable. " + next,
		"Is the session file unreadable?":   "Relogin failed: Is the session file unreadable? " + next,
		"the session file is unreadable. ":  "Relogin failed: the session file is unreadable. " + next,
		"the session file is unreadable…":   "Relogin failed: the session file is unreadable… " + next,
		"the session file (v2.1) is broken": "Relogin failed: the session file (v2.1) is broken. " + next,
	} {
		for _, err := range []error{sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s", reason), status.Error(codes.Internal, reason)} {
			if got := reloginFailed(&connectError{err: err, next: next}); got != want {
				t.Errorf("reason %q (%T): %q, want %q", reason, err, got, want)
			}
		}
	}
	if got := sentences("", "One", "two.", ""); got != "One. two." {
		t.Errorf("sentences: %q", got)
	}
	if got := sentence(errors.New("").Error()); got != "" {
		t.Errorf("sentence of nothing: %q", got)
	}
}

// TestConnectFailedOneFullStop: the chat notice of a login the gateway
// could not connect ends the plugin's reason with one full stop; a
// reason of its own full stop read "(... unreadable.). Your login".
func TestConnectFailedOneFullStop(t *testing.T) {
	const next = "Your login is kept: the relogin command (or \"relogin\" here) tries again."
	for _, reason := range []string{"the session file is unreadable", "The session file is unreadable."} {
		got := connectFailedText("Echo", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s", reason), next)
		want := "The gateway could not connect your Echo login: " + strings.TrimSuffix(reason, ".") + ". " + next
		if got != want {
			t.Errorf("reason %q: %q, want %q", reason, got, want)
		}
	}
}
