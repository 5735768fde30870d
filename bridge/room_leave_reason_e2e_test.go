package bridge_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"passerelle.im/passerelle/examples/echo"
)

// TestRoomLeaveByCommandReason: the leave-group command's form has a
// reason field, given to the network as the leave's words
// (LeaveChat.reason), as "/leave REASON" in the room does; the echo
// network keeps them in its LeftFile. The command had no such field.
func TestRoomLeaveByCommandReason(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	r, _ := command(t, alice, "leave-group", "", "", nil)
	if _, _, ok := r.Field("reason"); !ok {
		t.Fatalf("leave-group form without a reason field: %s", r.XML)
	}
	done, _ := command(t, alice, "leave-group", r.Command.SessionID, "", map[string]string{"room": room, "reason": "  moving to another group \n"})
	if done.Command.Status != "completed" || !strings.Contains(done.Notes(), "info: You left Echo room.") {
		t.Fatalf("leave-group: %s", done.XML)
	}
	var left []string
	filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == echo.LeftFile {
			b, _ := os.ReadFile(path)
			left = append(left, string(b))
		}
		return nil
	})
	if len(left) != 1 || left[0] != "moving to another group" {
		t.Fatalf("the network got the leave with %q; want the reason, trimmed, once", left)
	}
}
