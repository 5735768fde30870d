package echo_test

import (
	"testing"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestFlakyFailsFirstThenConnects: a login with FlakyMark (or
// HiccupMark) in its username says, at its first Connect, TRANSIENT_DISCONNECT with
// FlakyReason and refuses what needs the network; then, the retry
// getting through, CONNECTED, and it works. Connected again after a
// Disconnect, it connects at once: only the first attempt fails.
func TestFlakyFailsFirstThenConnects(t *testing.T) {
	for _, mark := range []string{echo.FlakyMark, echo.HiccupMark} {
		t.Run(mark, func(t *testing.T) { testFlaky(t, "dave"+mark) })
	}
}

func testFlaky(t *testing.T, user string) {
	p := plugintest.Start(t, plugintest.BuildBinary(t, echoPkg), "", nil)
	done := p.Login("", map[string]string{"username": user})
	evs := p.Events()
	isState := func(ev *pb.Event) bool { return ev.GetLoginState() != nil && ev.LoginId == user }
	p.Connect(done.LoginId, done.SavedState)

	ev := evs.Await("the first attempt's state", isState)
	if st := ev.GetLoginState(); st.State != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT || st.Message != echo.FlakyReason {
		t.Fatalf("the first state of a flaky login: %v, want TRANSIENT_DISCONNECT %q", st, echo.FlakyReason)
	}
	cmds := p.Commands()
	// The CONNECTED may come before the send: only a refusal is checked.
	if res := cmds.Send(plugintest.SendText(user, "bob", "t0", "early")); res.Error != nil && res.Error.Code != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED {
		t.Errorf("a send before the retry connected: %v, want LOGIN_REQUIRED or sent", res.Error)
	}
	ev = evs.Await("the retry's CONNECTED", isState)
	if st := ev.GetLoginState().State; st != pb.LoginState_LOGIN_STATE_CONNECTED {
		t.Fatalf("the state after the failure: %v, want CONNECTED", st)
	}
	if res := cmds.Send(plugintest.SendText(user, "bob", "t1", "hi")); res.Error != nil {
		t.Fatalf("a send once connected: %v", res.Error)
	}

	ctx, cancel := p.CallContext()
	defer cancel()
	if _, err := p.Client().Disconnect(ctx, &pb.LoginRef{LoginId: user}); err != nil {
		t.Fatal(err)
	}
	p.Connect(done.LoginId, done.SavedState)
	ev = evs.Await("the second Connect's state", isState)
	if st := ev.GetLoginState().State; st != pb.LoginState_LOGIN_STATE_CONNECTED {
		t.Errorf("the state of the second Connect: %v, want CONNECTED at once", st)
	}
}
