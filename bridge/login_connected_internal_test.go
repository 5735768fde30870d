package bridge

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/pluginhost"
	"passerelle.im/passerelle/store"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestFirstStateCaughtOnce: the answer to a completed login takes the
// first state that says how its connection went, not CONNECTING before
// it nor a state after it; and a wait that gave up (here its context
// ended) catches nothing more, so that a refusal coming later is told
// as its own notice rather than swallowed.
func TestFirstStateCaughtOnce(t *testing.T) {
	tr, s := aliceOnEcho(t)
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: tr.log})
	ctx := context.Background()

	fs := s.watchFirstState()
	s.setState(ctx, &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTING})
	s.setState(ctx, &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, Message: "no TLS answer"})
	s.setState(ctx, &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, Message: "wrong password"})
	st, known := s.awaitFirstState(ctx, fs, time.Now().Add(LoginConnectWait))
	if !known || st.state != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT || st.msg != "no TLS answer" {
		t.Fatalf("caught %v %q (known %v); want the transient disconnect", st.state, st.msg, known)
	}
	if s.first != nil && !s.first.connectedOnly { // the retry's watch takes CONNECTED alone
		t.Fatal("the watch still catches states after its first")
	}

	fs = s.watchFirstState()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if st, known := s.awaitFirstState(cancelled, fs, time.Now().Add(LoginConnectWait)); known {
		t.Fatalf("a wait cut short caught %v", st.state)
	}
	s.mu.Lock()
	caught := s.catchFirstLocked(loginState{state: pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS})
	s.mu.Unlock()
	if caught {
		t.Fatal("a state after the wait gave up was caught: its notice would not be told")
	}
}

// TestLoginAnswerSaysWhatToDo: each way a login's connection can go has
// its answer: connected, or saved with the network's reason and the
// command that helps; still connecting when no state came in time. The
// completed step's instructions follow in each.
func TestLoginAnswerSaysWhatToDo(t *testing.T) {
	tr, _ := aliceOnEcho(t)
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: tr.log})
	for _, tc := range []struct {
		st    pb.LoginState
		known bool
		warn  bool
		want  []string
	}{
		{pb.LoginState_LOGIN_STATE_CONNECTED, true, false, []string{"You are logged in to ", " as al. Connected.\nHistory soon."}},
		{pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, true, true, []string{"saved", "connecting failed: why.", "keeps trying", `"logout"`}},
		{pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, true, true, []string{"saved", "refused it: why.", `"login"`}},
		{pb.LoginState_LOGIN_STATE_LOGGED_OUT, true, true, []string{"saved", "logged it out: why.", `"login"`}},
		{pb.LoginState_LOGIN_STATE_STOPPED, true, true, []string{"saved", "stopped: why.", `"relogin"`}},
		{pb.LoginState_LOGIN_STATE_CONNECTING, false, false, []string{"Still connecting (why.)", "presence"}},
	} {
		text, warn := tr.loginAnswer("al", "History soon.", loginState{state: tc.st, msg: "why."}, tc.known)
		if warn != tc.warn {
			t.Errorf("%v: warn %v", tc.st, warn)
		}
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("%v: %q lacks %q", tc.st, text, w)
			}
		}
		if !strings.Contains(text, "\nHistory soon.") {
			t.Errorf("%v: %q lacks the step's instructions", tc.st, text)
		}
	}
}

// TestLoginReportToldOnce: a completed login's answer is told once: as
// the login command's note when the command waits for it and it comes
// in time, else in a chat; after a note that said "still connecting",
// the chat says how it went, without the instructions the note gave.
func TestLoginReportToldOnce(t *testing.T) {
	tr, _ := aliceOnEcho(t)
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: tr.log})
	ctx := context.Background()
	later := time.Now().Add(time.Hour)

	r := newLoginReport("al", "History soon.", true) // the command waits
	if chat := r.finish(loginState{}, true, "Connected.", "Connected, later.", false); chat != "" {
		t.Errorf("a note tells it, the chat too: %q", chat)
	}
	if text, typ := tr.takeLoginReport(ctx, r, later); text != "Connected." || typ != "info" {
		t.Errorf("the note: %s %q", typ, text)
	}

	r = newLoginReport("al", "History soon.", true)
	text, typ := tr.takeLoginReport(ctx, r, time.Now()) // the budget is over
	if typ != "info" || !strings.Contains(text, "Still connecting") || !strings.Contains(text, "\nHistory soon.") {
		t.Errorf("the note before the state: %s %q", typ, text)
	}
	if chat := r.finish(loginState{}, true, "Failed.\nHistory soon.", "Failed.", true); chat != "Failed." {
		t.Errorf("the chat after a still-connecting note: %q", chat)
	}

	r = newLoginReport("al", "", false) // a chat's login
	if chat := r.finish(loginState{}, true, "Connected.", "Connected.", false); chat != "Connected." {
		t.Errorf("a chat's login: %q", chat)
	}

	r = newLoginReport("al", "", false) // a command comes back for it in time
	got := make(chan string, 1)
	go func() { text, _ := tr.takeLoginReport(ctx, r, later); got <- text }()
	for deadline := time.Now().Add(20 * time.Second); ; {
		r.mu.Lock()
		claimed := r.teller == tellCmd
		r.mu.Unlock()
		if claimed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the command's take never claimed the report")
		}
		runtime.Gosched()
	}
	if chat := r.finish(loginState{}, true, "Connected.", "Connected.", false); chat != "" {
		t.Errorf("the note of a command that came back tells it, the chat too: %q", chat)
	}
	if text := <-got; text != "Connected." {
		t.Errorf("the note of a command that came back: %q", text)
	}

	r = newLoginReport("al", "", true)
	r.release() // the command's request ended
	if chat := r.finish(loginState{}, true, "Connected.", "Connected.", false); chat != "Connected." {
		t.Errorf("released to the chat: %q", chat)
	}
}

// TestLoginAnswerEndsWithTheLogin: a login logged out (or replaced by
// another account's) before its connection said how it went ends the
// wait of its answer at once, which says the login is gone; before, the
// answer waited its 30 s and told the chat "Still connecting" of a
// login the user had logged out of meanwhile.
func TestLoginAnswerEndsWithTheLogin(t *testing.T) {
	tr, s := aliceOnEcho(t)
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: tr.log})
	ctx := context.Background()

	fs := s.watchFirstState()
	r := newLoginReport("al", "", true)
	tr.tellLogin(ctx, r, &freshLogin{s: s, fs: fs, connect: func(context.Context) {}})
	tr.dropLogin(s.user) // as the logout does (dropAccount)
	// Well within loginConnectWait: the wait ends with the login.
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	deadline := time.Now().Add(20 * time.Second)
	text, typ := tr.takeLoginReport(ctx, r, deadline)
	if typ != "warn" || !strings.Contains(text, "gone") || strings.Contains(text, "connecting") {
		t.Errorf("the answer of a login logged out before it connected: %s: %q", typ, text)
	}
	s.mu.Lock()
	caught := s.catchFirstLocked(loginState{state: pb.LoginState_LOGIN_STATE_CONNECTED})
	s.mu.Unlock()
	if caught {
		t.Error("the dropped login's watch still catches states")
	}

	// The same account logged in again while the first answer waits:
	// the first ends at once, the second takes the state.
	s = tr.setLogin(store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "l"})
	fs = s.watchFirstState()
	r = newLoginReport("al", "", true)
	tr.tellLogin(ctx, r, &freshLogin{s: s, fs: fs, connect: func(context.Context) {}})
	fs2 := s.watchFirstState()
	if text, typ := tr.takeLoginReport(ctx, r, deadline); typ != "warn" || !strings.Contains(text, "gone") {
		t.Errorf("the answer of a login done again before it connected: %s: %q", typ, text)
	}
	s.setState(ctx, &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTED})
	if st, known := s.awaitFirstState(wctx, fs2, time.Now().Add(LoginConnectWait)); !known || st.state != pb.LoginState_LOGIN_STATE_CONNECTED {
		t.Errorf("the second login's answer caught %v (known %v)", st.state, known)
	}
}
