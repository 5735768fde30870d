package irc

import (
	"context"
	"slices"
	"testing"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"
)

// Lines a replaced connection still hands over (given up, Connect made
// another before its reader ended: a server slow to close it after the
// QUIT) change nothing of the current connection's: a JOIN, a PART, a
// NAMES list, the user's own PART, a KICK of the old connection leave
// the channel's members as the current one has them; the same lines on
// the current connection do change them. Before, only the old
// connection's end was guarded, and these changed the new one's
// channels (members added or gone, the channel left).
func TestLateCallbacksOfOldConnectionLeaveNewOne(t *testing.T) {
	s, old, cur := replacedConnSession(t, "bob", "zoe")
	s.handle(old)
	s.handle(cur)
	members := func() []string {
		t.Helper()
		info, err := s.ChatInfo(context.Background(), "#room")
		if err != nil {
			t.Fatalf("ChatInfo: %v", err)
		}
		var nicks []string
		for _, m := range info.GetMembers() {
			if !m.GetIsSelf() {
				nicks = append(nicks, m.GetNick())
			}
		}
		slices.Sort(nicks)
		return nicks
	}
	line := func(c *ircevent.Connection, l string) {
		t.Helper()
		m, err := ircmsg.ParseLine(l)
		if err != nil {
			t.Fatal(err)
		}
		c.HandleMessage(m)
	}
	for _, l := range []string{
		":dave!d@h JOIN #room",
		":bob!b@h PART #room :bye",
		":srv 353 kit = #room :kit eve",
		":srv 366 kit #room :End of NAMES list",
		":op!o@h KICK #room zoe :out",
		":kit!k@h PART #room",
	} {
		line(old, l)
	}
	if got, want := members(), []string{"bob", "zoe"}; !slices.Equal(got, want) {
		t.Errorf("#room's members after the old connection's late lines: %q; want %q as the current connection has them", got, want)
	}
	line(cur, ":dave!d@h JOIN #room")
	line(cur, ":bob!b@h PART #room :bye")
	if got, want := members(), []string{"dave", "zoe"}; !slices.Equal(got, want) {
		t.Errorf("#room's members after the current connection's lines: %q; want %q", got, want)
	}
}
