package irc

import "testing"

// Only "/mode" itself is the command: "/moderate" is a message, as is a
// "/mode" of several lines.
func TestModeCommandWord(t *testing.T) {
	for text, want := range map[string]bool{"/mode": true, "/MODE +o x": true, " /mode\t+b": true, "/moderate": false, "/mode +o x\nhi": false, "mode": false} {
		if _, ok := modeCommand(text); ok != want {
			t.Errorf("modeCommand(%q) = %v, want %v", text, ok, want)
		}
	}
}
