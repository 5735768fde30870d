package bridge

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestChatCommandsHelpAligned: in the chat help's list of chat
// commands, each description begins in the column of the gateway's own
// commands ("  login       log in"), unless its command is too wide for
// it. "/pin" began one column to the left.
func TestChatCommandsHelpAligned(t *testing.T) {
	const col = len("  login       ")
	feats := &pb.Features{ChatTimer: true, PollCreate: true, PollVote: true, PollClose: true, Pin: true}
	lines := strings.Split(strings.TrimPrefix(chatCommandsHelp(feats), "\n"), "\n")[1:]
	if len(lines) != 5 {
		t.Fatalf("want five commands, got %q", lines)
	}
	for _, l := range lines {
		if !strings.Contains(l[2:col], "  ") && l[col-1] != ' ' {
			continue // a command wider than the column
		}
		if l[col-1] != ' ' || l[col] == ' ' {
			t.Errorf("%q: description not at column %d", l, col)
		}
	}
}
