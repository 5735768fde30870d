package echo_test

import (
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A text that starts with "//" and a letter is sent with one slash
// less and is no command (sdk.UnescapeChatCommand): "//echo-command x"
// is echoed as the text "/echo-command x". "// note" keeps its slashes.
func TestEscapedChatCommandEchoed(t *testing.T) {
	p, evs := startAlice(t)
	for i, c := range []struct{ send, echo string }{{"//echo-command x", "/echo-command x"}, {"// note", "// note"}} {
		res := p.Commands().Send(plugintest.SendText("alice", "bob", "esc-"+string(rune('a'+i)), c.send))
		if res.Error != nil || res.HandledAsCommand {
			t.Fatalf("%q: %v, command %v; want a message", c.send, res.Error, res.HandledAsCommand)
		}
		ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
		if got := ev.GetMessage().Text; got != c.echo {
			t.Errorf("%q echoed as %q, want %q", c.send, got, c.echo)
		}
	}
}
