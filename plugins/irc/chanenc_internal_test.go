package irc

import "testing"

// lineTarget finds the channel of the lines whose text a channel's
// encoding reads and writes, after tags and a source, and no other's.
func TestLineTarget(t *testing.T) {
	for _, tc := range []struct{ line, head, target, rest string }{
		{":dave!d@h PRIVMSG #ru :hi", ":dave!d@h PRIVMSG #ru", "#ru", " :hi"},
		{"@time=x;msgid=y :dave!d@h NOTICE #ru :hi", "@time=x;msgid=y :dave!d@h NOTICE #ru", "#ru", " :hi"},
		{"PRIVMSG #ru :hi", "PRIVMSG #ru", "#ru", " :hi"},
		{":srv 332 kit #ru :topic", ":srv 332 kit #ru", "#ru", " :topic"},
		{":dave!d@h KICK #ru kit :out", ":dave!d@h KICK #ru kit", "#ru", " :out"},
		{":dave!d@h KICK #ru kit", ":dave!d@h KICK #ru kit", "#ru", ""},
		{"KICK #ru  kit  :out", "KICK #ru  kit", "#ru", "  :out"},
		{"TOPIC #ru", "TOPIC #ru", "#ru", ""},
		{":dave!d@h privmsg #ru :hi", ":dave!d@h privmsg #ru", "#ru", " :hi"},
	} {
		head, target, rest, ok := lineTarget([]byte(tc.line))
		if !ok || string(head) != tc.head || string(target) != tc.target || string(rest) != tc.rest {
			t.Errorf("%q: %q %q %q %v, want %q %q %q", tc.line, head, target, rest, ok, tc.head, tc.target, tc.rest)
		}
	}
	for _, line := range []string{":srv 353 kit = #ru :a b", "JOIN #ru", ":dave!d@h PRIVMSG", ":dave!d@h PRIVMSG :x", "", "@tags"} {
		if _, _, _, ok := lineTarget([]byte(line)); ok {
			t.Errorf("%q: a channel's text, want none", line)
		}
	}
}

// A channel's codec is its own: "##go" (a channel of its own, as
// Libera names many) is not "#go", nor is "!#go"; only a STATUSMSG
// prefix ("@#go", "+#go") names some of #go's members.
func TestChanCodecOwnChannel(t *testing.T) {
	latin1, err := lookupEncoding("latin1")
	if err != nil {
		t.Fatal(err)
	}
	s := &Session{}
	m := map[string]codec{s.chanID("#go"): latin1}
	s.chanCodecs.Store(&m)
	for name, want := range map[string]bool{"#go": true, "#GO": true, "@#go": true, "%#go": true, "+#go": true, "~@#go": true,
		"##go": false, "!#go": false, "#chan": false, "go": false, "@go": false, "": false} {
		if _, ok := s.chanCodec(name); ok != want {
			t.Errorf("chanCodec(%q): %v, want %v", name, ok, want)
		}
	}
}
