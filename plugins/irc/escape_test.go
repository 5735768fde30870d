package irc_test

import (
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
)

// A doubled slash sends what would be a command as text, as IRC clients
// do: "//mode +o x" to a nick or a channel goes as "/mode +o x", and
// "//me waves" as the words "/me waves", no CTCP ACTION. Before, both
// slashes went.
func TestEscapedChatCommandSent(t *testing.T) {
	srv := startScripted(t, "", "")
	p, _, login := scriptedLogin(t, srv, "", "kit", "#c")
	// The join's own MODE query (its modes, chanview.go) goes first:
	// after the first "from" below, it was taken for a /mode's.
	srv.got("MODE #c")
	for _, tc := range []struct{ to, text, want string }{
		{"bob", "//mode +o x", "PRIVMSG bob :/mode +o x"},
		{"bob", "//me waves", "PRIVMSG bob :/me waves"},
		{"bob", "//ctcp version now", "PRIVMSG bob :/ctcp version now"},
		{"#c", "//mode +v dave", "PRIVMSG #c :/mode +v dave"},
		{"#c", "// a note", "PRIVMSG #c :// a note"},
	} {
		from := len(srv.sent(0, ""))
		if res := p.Commands().Send(plugintest.SendText(login.LoginId, tc.to, "", tc.text)); res.Error != nil || res.HandledAsCommand {
			t.Fatalf("%q to %s: %v, want a message", tc.text, tc.to, res)
		}
		if got := srv.got(tc.want); got != tc.want {
			t.Errorf("%q to %s: sent %q, want %q", tc.text, tc.to, got, tc.want)
		}
		if n := len(srv.sent(from, "MODE")) + len(srv.sent(from, "PRIVMSG bob :\x01")); n > 0 {
			t.Errorf("%q to %s: %d MODE or CTCP lines sent, want none", tc.text, tc.to, n)
		}
	}
}
