package sdk

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

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

// A doubled slash before a letter sends the command word as text: one
// slash comes off, and the spans after it move with the text; nothing
// else changes.
func TestUnescapeChatCommand(t *testing.T) {
	for _, tc := range []struct {
		text, want string
		ok         bool
	}{
		{"//block", "/block", true},
		{"  //Trust 123", "  /Trust 123", true},
		{"//mode +o x\nhi", "/mode +o x\nhi", true},
		{"//é", "/é", true},
		{"/block", "/block", false},
		{"//", "//", false},
		{"// note", "// note", false},
		{"///block", "///block", false},
		{"//1", "//1", false},
		{"hi\n//block", "hi\n//block", false},
		{"a //block", "a //block", false},
		{"", "", false},
	} {
		msg := &pb.SendMessage{Text: tc.text}
		if ok := UnescapeChatCommand(msg); ok != tc.ok || msg.Text != tc.want {
			t.Errorf("UnescapeChatCommand(%q) = %q, %v; want %q, %v", tc.text, msg.Text, ok, tc.want, tc.ok)
		}
		if _, cmd := ChatCommand(tc.text, "/block"); cmd && tc.ok {
			t.Errorf("ChatCommand(%q, /block) read an escaped command", tc.text)
		}
	}
	msg := &pb.SendMessage{Text: " //block *now*", Spans: []*pb.Span{
		{Start: 0, End: 1, Style: pb.Span_STYLE_CODE},
		{Start: 1, End: 8, Style: pb.Span_STYLE_CODE},
		{Start: 9, End: 14, Style: pb.Span_STYLE_BOLD},
	}}
	if !UnescapeChatCommand(msg) || msg.Text != " /block *now*" {
		t.Fatalf("UnescapeChatCommand: %q", msg.Text)
	}
	for i, want := range [][2]uint32{{0, 1}, {1, 7}, {8, 13}} {
		if s := msg.Spans[i]; s.Start != want[0] || s.End != want[1] {
			t.Errorf("span %d: %d-%d, want %d-%d", i, s.Start, s.End, want[0], want[1])
		}
	}
}
