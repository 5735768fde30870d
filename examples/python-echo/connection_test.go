package pythonecho_test

import (
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// The login's state says back the connection number of the Connect it
// follows (LoginStateEvent.connection), as the Go SDK stamps it, so that
// the gateway can ignore a state of a connection gone; so again at the
// Connect after a Disconnect, the gateway's relogin. Before, the example
// left it 0.
func TestStateSaysConnection(t *testing.T) {
	needPython(t)
	p := plugintest.StartArgs(t, python, []string{script(t)}, "", nil)
	done := p.Login("", map[string]string{"username": "alice"})
	evs := p.Events()
	state := func(ev *pb.Event) bool { return ev.LoginId == done.LoginId && ev.GetLoginState() != nil }
	for round := range 2 {
		if round > 0 {
			ctx, cancel := p.CallContext()
			if _, err := p.Client().Disconnect(ctx, &pb.LoginRef{LoginId: done.LoginId}); err != nil {
				cancel()
				t.Fatal(err)
			}
			cancel()
		}
		p.Connect(done.LoginId, done.SavedState)
		ev := evs.Await("the login's state after Connect", state)
		if got, want := ev.GetLoginState().GetConnection(), p.Connection(done.LoginId); got != want {
			t.Fatalf("Connect %d: the state %v says connection %d, want the Connect's %d", round+1, ev.GetLoginState().GetState(), got, want)
		}
	}
}
