package bridge

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestRegistrationAnswerPerState: a registration's answer (XEP-0077)
// once its login's first state is known, as the README has it:
// connected, a result; BAD_CREDENTIALS, not-authorized, and STOPPED,
// service-unavailable, each with the state's reason; the login gone
// (logged out, or sent again) before it said, conflict; the gateway
// stopping before it said, a result (the login is saved).
func TestRegistrationAnswerPerState(t *testing.T) {
	tr, s, _, sent := occupantFixture(t)
	ctx := context.Background()
	live, stop := context.WithCancel(ctx)
	defer stop()
	tr.in.ctx = live
	state := func(st pb.LoginState, msg string) func() {
		return func() { s.setState(ctx, &pb.LoginStateEvent{State: st, Message: msg}) }
	}
	answer := func(id string, connect func()) *wire.Stanza {
		t.Helper()
		st, err := wire.Parse(`<iq type='set' id='` + id + `' from='alice@localhost/phone' to='echo.localhost'><query xmlns='jabber:iq:register'><username>al</username></query></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		r := newLoginReport("al", "", true)
		tr.tellLogin(ctx, r, &freshLogin{s: s, fs: s.watchFirstState(), connect: func(context.Context) { connect() }})
		tr.answerRegistration(live, st, r, time.Now().Add(20*time.Second))
		for _, o := range sent() {
			if o.Kind() == "iq" && o.ID() == id {
				return o
			}
		}
		t.Fatalf("no answer to %s", id)
		return nil
	}
	for i, c := range []struct {
		connect    func()
		cond, text string
	}{
		{state(pb.LoginState_LOGIN_STATE_CONNECTED, ""), "", ""},
		{state(pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, "wrong password"), string(wire.NotAuthorized), "wrong password"},
		{state(pb.LoginState_LOGIN_STATE_STOPPED, "banned"), string(wire.ServiceUnavailable), "banned"},
		{s.endFirstWatch, string(wire.Conflict), "gone"},
	} {
		got := answer(fmt.Sprintf("reg%d", i), c.connect)
		cond, text := got.ErrorCondition()
		if c.cond == "" {
			if got.Type() != "result" {
				t.Errorf("case %d: want a result, got %s %q", i, cond, text)
			}
			continue
		}
		if got.Type() != "error" || cond != c.cond || !strings.Contains(text, c.text) {
			t.Errorf("case %d: want %s with %q, got %s: %s %q", i, c.cond, c.text, got.Type(), cond, text)
		}
	}

	stop()
	if got := answer("stopping", func() {}); got.Type() != "result" {
		cond, text := got.ErrorCondition()
		t.Errorf("the answer of a registration cut by the stop: %s %q", cond, text)
	}
}
