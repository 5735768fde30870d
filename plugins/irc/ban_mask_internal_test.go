package irc

import (
	"testing"

	"github.com/ergochat/irc-go/ircmsg"
)

// A ban is by host where the host is known and not the user's own; by
// user on the user's host; by nick otherwise.
func TestBanMask(t *testing.T) {
	self := userHost{user: "~kit", host: "gateway/web/abc"}
	for _, tc := range []struct {
		uh   *userHost
		want string
	}{
		{&userHost{user: "~dave", host: "dave.example.net"}, "*!*@dave.example.net"},
		{&userHost{user: "dave", host: "user/dave"}, "*!*@user/dave"},
		{&userHost{user: "~dave", host: "2001:db8::1"}, "*!*@2001:db8::1"},
		{&userHost{user: "~dave", host: "Gateway/Web/ABC"}, "*!~dave@Gateway/Web/ABC"}, // the user's host
		{&userHost{user: "~kit", host: "gateway/web/abc"}, "Dave!*@*"},                 // the user's user and host
		{nil, "Dave!*@*"},
	} {
		if got := banMask("Dave", tc.uh, self); got != tc.want {
			t.Errorf("banMask(%+v) = %q; want %q", tc.uh, got, tc.want)
		}
	}
}

// Users and hosts come from sources, NAMES entries with
// userhost-in-names, USERHOST answers and CHGHOST; a nick change keeps
// them, a quit forgets them.
func TestUserHosts(t *testing.T) {
	for src, ok := range map[string]bool{"dave!~d@h.example": true, "dave": false, "irc.example.org": false, "dave!d": false, "!u@h": false} {
		if _, _, got := splitSource(src); got != ok {
			t.Errorf("splitSource(%q) ok = %v", src, got)
		}
	}
	s := newSession(&Network{}, "kit@irc.test:6667", Account{})
	s.self = "kit"
	s.channels["#c"] = &channel{name: "#c", members: map[string]*member{}}
	names, _ := ircmsg.ParseLine(":srv 353 kit = #c :@kit!~kit@me.example +erin!e@erin.example zoe")
	uh302, _ := ircmsg.ParseLine(":srv 302 kit :dave*=+~d@dave.example ivy=-i@ivy.example kit=+~kit@me2.example bad=x")
	s.onNames(names)
	s.onUserhost(uh302)
	want := map[string]userHost{"erin": {"e", "erin.example"}, "dave": {"~d", "dave.example"}, "ivy": {"i", "ivy.example"}}
	for id, uh := range want {
		if got, ok := s.people.userHost(id); !ok || got != uh {
			t.Errorf("%s: %+v, %v; want %+v", id, got, ok, uh)
		}
	}
	for _, id := range []string{"zoe", "bad", "kit"} {
		if got, ok := s.people.userHost(id); ok {
			t.Errorf("%s: %+v; want none", id, got)
		}
	}
	if s.selfAddr != (userHost{"~kit", "me2.example"}) {
		t.Errorf("the user's own: %+v", s.selfAddr)
	}
	if m := s.channels["#c"].members; len(m) != 3 || m["erin"].nick != "erin" || m["erin"].modes != "v" || m[s.loginID].modes != "o" {
		t.Errorf("members %v", m)
	}
	// IRCv3 chghost: the new user and host, the user's own too.
	for _, line := range []string{":dave!~d@dave.example CHGHOST dave cloak/dave", ":kit!~kit@me2.example CHGHOST kit cloak/kit", ":erin!e@erin.example CHGHOST e"} {
		m, _ := ircmsg.ParseLine(line)
		s.onChghost(m)
	}
	if got, _ := s.people.userHost("dave"); got != (userHost{"dave", "cloak/dave"}) {
		t.Errorf("dave after CHGHOST: %+v", got)
	}
	if got, _ := s.people.userHost("erin"); got != want["erin"] {
		t.Errorf("erin after a CHGHOST without a host: %+v", got)
	}
	if s.selfAddr != (userHost{"kit", "cloak/kit"}) {
		t.Errorf("the user's own after CHGHOST: %+v", s.selfAddr)
	}
	s.people.rename("erin", "erin2")
	if got, _ := s.people.userHost("erin"); got.host != "erin.example" {
		t.Errorf("after a nick change: %+v", got)
	}
	s.people.forget("erin2")
	if got, ok := s.people.userHost("erin"); ok {
		t.Errorf("after a quit: %+v", got)
	}
}
