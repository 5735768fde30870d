package bridge

import (
	"context"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// chatCounter counts the gateway's chat messages whose body has want
// in what sent returns (each call of sent, what was sent since the one
// before): count waits, at most 20 s, for one and returns how many so
// far.
func chatCounter(t *testing.T, sent func() []*wire.Stanza, want string) (count func() int) {
	n := 0
	return func() int {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			for _, o := range sent() {
				if b, ok := o.Body(); ok && o.Kind() == "message" && strings.Contains(b, want) {
					n++
				}
			}
			if n > 0 || time.Now().After(deadline) {
				return n
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestFailureThenConnectedTold: a first connection attempt that fails
// (TRANSIENT_DISCONNECT) while the plugin tries again, and a CONNECTED
// after it within the wait. Told before the answer, the answer says
// "Connected."; after the answer told the failure, a chat message says
// the login connected, once. Before, the user heard only "connecting
// failed… the gateway keeps trying", the presence then saying online.
func TestFailureThenConnectedTold(t *testing.T) {
	tr, s, _, sent := occupantFixture(t)
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	transient := &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, Message: "no route"}
	connected := &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTED}

	// Both before the answer: it says connected.
	r := newLoginReport("al", "", true)
	tr.tellLogin(ctx, r, &freshLogin{s: s, fs: s.watchFirstState(), connect: func(context.Context) {
		s.setState(ctx, transient)
		s.setState(ctx, connected)
	}})
	if text, typ := tr.takeLoginReport(ctx, r, deadline); typ != "info" || !strings.HasSuffix(text, "Connected.") {
		t.Errorf("the answer of a login connected on its second attempt: %s: %q", typ, text)
	}

	// The failure told first, the connection after it.
	r = newLoginReport("al", "", true)
	tr.tellLogin(ctx, r, &freshLogin{s: s, fs: s.watchFirstState(), connect: func(context.Context) {
		s.setState(ctx, transient)
	}})
	if text, typ := tr.takeLoginReport(ctx, r, deadline); typ != "warn" || !strings.Contains(text, "connecting failed: no route") {
		t.Fatalf("the answer of a failed first attempt: %s: %q", typ, text)
	}
	told := chatCounter(t, sent, "connected on a later attempt")
	s.setState(ctx, connected)
	if n := told(); n != 1 {
		t.Errorf("the connection after the failure was told %d times, want once", n)
	}
	tr.in.wg.Wait() // the answer's goroutine ended: nothing more to tell
	s.setState(ctx, transient)
	s.setState(ctx, connected)
	if n := told(); n != 1 { // what was sent before it ended is read
		t.Errorf("the connection after the failure was told %d times, want once", n)
	}
	if s.first != nil {
		t.Error("a watch outlived the answer")
	}
}

// TestFirstStateNotOfTheConnectionBefore: the answer to a login of an
// account logged in before (its session's state that of the connection
// before: refused) takes no state of that connection: a wait that runs
// out says "Still connecting" with this connection's own word, not the
// old refusal's reason. Before, the wait returned the session's state,
// and the answer said "Still connecting (old password refused)". (States
// of the old connection still on their way from the plugin when the
// watch begins cannot be told apart from the new one's: the contract's
// state event names no connection.)
func TestFirstStateNotOfTheConnectionBefore(t *testing.T) {
	tr, s, _, _ := occupantFixture(t)
	ctx := context.Background()
	s.setState(ctx, &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, Message: "old password refused"})

	fs := s.watchFirstState()
	st, known := s.awaitFirstState(ctx, fs, time.Now())
	if known || st.msg == "old password refused" {
		t.Fatalf("the wait took the connection before's state: %v %q (known %v)", st.state, st.msg, known)
	}
	if text, _ := tr.loginAnswer("al", "", st, known); strings.Contains(text, "old password") {
		t.Errorf("the answer tells the connection before's state: %q", text)
	}

	fs = s.watchFirstState()
	s.setState(ctx, &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTING, Message: "dialling"})
	if st, known := s.awaitFirstState(ctx, fs, time.Now()); known || st.msg != "dialling" {
		t.Errorf("the wait's state: %v %q (known %v), want this connection's CONNECTING", st.state, st.msg, known)
	}
}

// TestLoginAnswerEndsAtStop: a stop of the gateway while a login's
// answer waits for its first state, or for a connection after a failure,
// ends the wait: its goroutine ends, no watch is left on the session,
// and the answer says the gateway is stopping; a login completed once
// the stop began has its watch ended and its answer told too. Before,
// that last watch stayed on the session and its answer never came (a
// command or registration waited out its budget), and an answer cut by
// the stop said "Still connecting".
func TestLoginAnswerEndsAtStop(t *testing.T) {
	tr, s, _, _ := occupantFixture(t)
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	live, stop := context.WithCancel(ctx)
	tr.in.ctx = live

	r := newLoginReport("al", "", true)
	tr.tellLogin(ctx, r, &freshLogin{s: s, fs: s.watchFirstState(), connect: func(context.Context) {}})
	r2 := newLoginReport("al", "", false)
	stop()
	if text, _ := tr.takeLoginReport(ctx, r, deadline); !strings.Contains(text, "stopping") {
		t.Errorf("the answer cut by the stop: %q", text)
	}
	tr.in.close()
	ended := make(chan struct{})
	go func() { tr.in.wg.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(20 * time.Second):
		t.Fatal("the answer's goroutine outlived the stop")
	}
	s.mu.Lock()
	left := s.first
	s.mu.Unlock()
	if left != nil {
		t.Error("a watch outlived the stop")
	}

	// Completed once the stop began: nothing runs for it.
	tr.tellLogin(ctx, r2, &freshLogin{s: s, fs: s.watchFirstState(), connect: func(context.Context) {}})
	s.mu.Lock()
	left = s.first
	s.mu.Unlock()
	if left != nil {
		t.Error("the watch of a login completed at the stop was left on the session")
	}
	if text, _ := tr.takeLoginReport(ctx, r2, time.Now().Add(20*time.Second)); !strings.Contains(text, "stopping") {
		t.Errorf("the answer of a login completed at the stop: %q", text)
	}
}
