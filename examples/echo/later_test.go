package echo_test

import (
	"testing"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestOldConnectionsStatesEnd: the states a connection had still to
// come (a slow dial's CONNECTED, an unreachable network's retry failing,
// a late CONNECTED, a flaky network's retry) do not come once the login
// is disconnected or logged out. The SDK stamps a state with the login's
// latest Connect, so one of them emitted after the login connected again
// would pass for the new connection's, and the gateway take it so. Each
// login connected twice says its second connection's last state once.
func TestOldConnectionsStatesEnd(t *testing.T) {
	p := plugintest.Start(t, plugintest.BuildBinary(t, echoPkg), "", nil)
	evs := p.Events()
	type run struct {
		id     string
		saved  []byte
		logout bool
		last   pb.LoginState // the state a connection ends with
	}
	marks := []struct {
		mark string
		last pb.LoginState
	}{
		{echo.SlowMark, pb.LoginState_LOGIN_STATE_CONNECTED},
		{echo.UnreachableMark, pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT},
		{echo.LateStateMark, pb.LoginState_LOGIN_STATE_CONNECTED},
		{echo.FlakyMark, pb.LoginState_LOGIN_STATE_CONNECTED}, // the second Connect's at once
	}
	var runs []*run
	for _, end := range []string{"disconnect", "logout"} {
		for _, m := range marks {
			done := p.Login("", map[string]string{"username": end + m.mark})
			runs = append(runs, &run{id: done.LoginId, saved: done.SavedState, logout: end == "logout", last: m.last})
		}
	}
	for _, r := range runs {
		p.Connect(r.id, r.saved)
	}
	ctx, cancel := p.CallContext()
	defer cancel()
	for _, r := range runs {
		var err error
		if r.logout {
			_, err = p.Client().Logout(ctx, &pb.LogoutRequest{LoginId: r.id, UserJid: plugintest.UserJID, SavedState: r.saved, LoginDir: p.LoginDir()})
		} else {
			_, err = p.Client().Disconnect(ctx, &pb.LoginRef{LoginId: r.id})
		}
		if err != nil {
			t.Fatalf("ending %s: %v", r.id, err)
		}
	}
	for _, r := range runs {
		p.Connect(r.id, r.saved)
	}
	// A login connected after all the others, whose CONNECTED comes
	// FlakyRetry later: after each first connection's (at most as long
	// after its Connect) would have come, had it not ended.
	last := map[string]int{}
	ofRun := map[string]*run{}
	for _, r := range runs {
		ofRun[r.id] = r
	}
	marker := p.Login("", map[string]string{"username": "marker" + echo.FlakyMark})
	p.Connect(marker.LoginId, marker.SavedState)
	// Counted: the states stamped with the login's second Connect. A
	// first connection's state that came before its end (its timer fired
	// before the Disconnect reached it, on a loaded machine) bears the
	// first Connect's number and is no fault; one emitted after the
	// second Connect began bears the second's, as the gateway would take
	// it.
	evs.Await("the marker login's CONNECTED", func(ev *pb.Event) bool {
		st := ev.GetLoginState()
		if r := ofRun[ev.LoginId]; r != nil && st != nil && st.State == r.last && st.Connection == p.Connection(r.id) {
			last[r.id]++
		}
		return ev.LoginId == marker.LoginId && st.GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	for _, r := range runs {
		if last[r.id] > 1 {
			t.Errorf("%s: %d %v states after it connected again, want one: the first connection's came on", r.id, last[r.id], r.last)
		}
	}
	// The second connections' own, when later than the marker's.
	for _, r := range runs {
		if last[r.id] == 0 {
			evs.Await(r.id+"'s "+r.last.String(), func(ev *pb.Event) bool {
				st := ev.GetLoginState()
				return ev.LoginId == r.id && st.GetState() == r.last && st.GetConnection() == p.Connection(r.id)
			})
		}
	}
}
