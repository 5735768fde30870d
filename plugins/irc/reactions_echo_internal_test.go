package irc

import (
	"testing"

	"github.com/ergochat/irc-go/ircmsg"
)

// The echo of a reaction the user sent is taken as its echo, though the
// server rewrote its tags (+draft/reply echoed as the ratified +reply),
// and though a TAGMSG of the user's typing on another client came
// before it. Before, a reaction's echo was matched by its tags' exact
// text only, and the typing took the reaction's place among the echoes
// awaited: either way the echo was taken for a reaction made on another
// client (onReaction), shown as the user's when it came before the
// user's set was noted (a React of several emojis).
func TestReactionEchoMatched(t *testing.T) {
	sent := map[string]string{"+draft/reply": "in-1", "+draft/react": "🎉"}
	for _, c := range []struct {
		name   string
		after  map[string]string // a TAGMSG sent after the reaction
		before string            // a TAGMSG of the user's other client
		echo   string
	}{
		{name: "tags rewritten", echo: "@msgid=e-1;+reply=in-1;+draft/react=🎉 :kit!u@h TAGMSG bob"},
		{name: "typing before", before: "@+typing=active :kit!u@h TAGMSG bob", echo: "@msgid=e-1;+draft/reply=in-1;+draft/react=🎉 :kit!u@h TAGMSG bob"},
		// The other client's typing is taken for the echo of the
		// plugin's (the fallback), which leaves the reaction awaited.
		{name: "typing sent after", after: map[string]string{"+typing": "active"}, before: "@+typing=paused :kit!u@h TAGMSG bob",
			echo: "@msgid=e-1;+draft/reply=in-1;+draft/react=🎉 :kit!u@h TAGMSG bob"},
	} {
		t.Run(c.name, func(t *testing.T) {
			parse := func(l string) ircmsg.Message {
				m, err := ircmsg.ParseLine(l)
				if err != nil {
					t.Fatal(err)
				}
				return m
			}
			s := newSession(&Network{host: &stateHost{}}, "kit@irc.test:6667/x", Account{Nick: "kit"})
			s.self = "kit"
			s.echoes = []*echo{s.tagEcho("bob", sent)}
			if c.after != nil {
				s.echoes = append(s.echoes, s.tagEcho("bob", c.after))
			}
			if c.before != "" {
				m := parse(c.before)
				if took := s.tagEchoed(m, isReaction(m)); took != (c.after != nil) {
					t.Errorf("%q taken for an echo: %v, want %v", c.before, took, c.after != nil)
				}
			}
			if !s.tagEchoed(parse(c.echo), true) {
				t.Errorf("%q not taken for the echo of the reaction sent", c.echo)
			}
			if len(s.echoes) != 0 {
				t.Errorf("echoes still awaited: %d", len(s.echoes))
			}
		})
	}
}
