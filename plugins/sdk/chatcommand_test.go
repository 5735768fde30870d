package sdk

import "testing"

// Only the word itself is the command, with its arguments: "/moderate"
// is a message, as is a "/mode" of several lines.
func TestChatCommand(t *testing.T) {
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
		{"/trust 12345 67890", "/trust", "12345 67890", true},
		{"/trusted", "/trust", "", false},
		{"", "/trust", "", false},
	} {
		if args, ok := ChatCommand(tc.text, tc.word); ok != tc.ok || args != tc.args {
			t.Errorf("ChatCommand(%q, %q) = %q, %v; want %q, %v", tc.text, tc.word, args, ok, tc.args, tc.ok)
		}
	}
}
