package pythonecho_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Stopped as the gateway stops it (go-plugin's Shutdown, then the
// connection closed), with streams open and an event not yet
// acknowledged, the plugin exits by itself with status 0 (not killed
// after go-plugin's 2 s), says nothing on stderr, and keeps its journal:
// the unacknowledged echo comes again at the next start.
func TestShutdownClean(t *testing.T) {
	needPython(t)
	p := plugintest.Start(t, script(t), "", nil)
	done := p.Login("", map[string]string{"username": "alice"})
	p.Connect(done.LoginId, done.SavedState)
	evs := p.Events()
	cmds := p.Commands()
	isEcho := func(text string) func(*pb.Event) bool {
		return func(ev *pb.Event) bool { return ev.GetMessage().GetText() == text }
	}
	if res := cmds.Send(plugintest.SendText("alice", "echo", "t1", "acked")); res.Error != nil {
		t.Fatalf("send: %v", res.Error)
	}
	acked := evs.Await(`the echo of "acked"`, isEcho("acked"))
	evs.Ack(acked.Seq)
	if res := cmds.Send(plugintest.SendText("alice", "echo", "t2", "not acked")); res.Error != nil {
		t.Fatalf("send: %v", res.Error)
	}
	evs.Await(`the echo of "not acked"`, isEcho("not acked"))

	before := p.Stderr()
	if code := p.Stop(); code != 0 {
		t.Fatalf("after Shutdown the plugin ended with status %d, want 0 (-1: it did not exit and was killed)", code)
	}
	if said := strings.TrimPrefix(p.Stderr(), before); said != "" {
		t.Errorf("the plugin wrote at its stop:\n%s", said)
	}

	p.Restart()
	p.Connect(done.LoginId, done.SavedState)
	evs = p.Events()
	// The ack was sent before the stop, but the plugin reads acks on a
	// thread of their own: the acknowledged echo may come again, the
	// other must.
	evs.Await(`the replay of the unacknowledged echo of "not acked"`, isEcho("not acked"))
}
