package irc

import "testing"

// Only the word itself is the command, with its arguments: "/moderate"
// is a message, as is a "/mode" of several lines.
func TestRoomCommandWord(t *testing.T) {
	for _, tc := range []struct {
		text, word, args string
		ok               bool
	}{
		{"/mode", "/mode", "", true},
		{"/MODE +o x", "/mode", "+o x", true},
		{" /mode\t+b", "/mode", "+b", true},
		{"/moderate", "/mode", "", false},
		{"/mode +o x\nhi", "/mode", "", false},
		{"mode", "/mode", "", false},
		{"/encoding koi8-r ", "/encoding", "koi8-r", true},
		{"/Encoding", "/encoding", "", true},
		{"/encodings", "/encoding", "", false},
	} {
		if args, ok := roomCommand(tc.text, tc.word); ok != tc.ok || args != tc.args {
			t.Errorf("roomCommand(%q, %q) = %q, %v; want %q, %v", tc.text, tc.word, args, ok, tc.args, tc.ok)
		}
	}
}
