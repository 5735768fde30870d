package irc_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// pasteTimes logs kit in on srv with the login form's throttle field,
// sends a paste of n lines to bob and returns when each line came to
// the server, when the paste was sent (no line goes before), and the
// login's saved state.
func pasteTimes(t *testing.T, throttle string, n int) ([]time.Time, time.Time, string) {
	t.Helper()
	srv := startScripted(t, "", "")
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	f := srv.fields("kit")
	f["throttle"] = throttle
	login := p.Login("", f)
	// The session is made from the saved state, as at a restart.
	p.Connect(login.LoginId, login.SavedState)
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
	var lines []string
	for i := 0; i < n; i++ {
		lines = append(lines, fmt.Sprintf("line %d", i))
	}
	start := time.Now()
	if res := p.Commands().Send(plugintest.SendText(login.LoginId, "bob", "txn-1", strings.Join(lines, "\n"))); res.Error != nil {
		t.Fatalf("send: %v", res.Error)
	}
	srv.got(fmt.Sprintf("PRIVMSG bob :line %d", n-1))
	srv.mu.Lock()
	defer srv.mu.Unlock()
	var at []time.Time
	for i, l := range srv.lines {
		if strings.HasPrefix(l, "PRIVMSG bob") {
			at = append(at, srv.times[i])
		}
	}
	if len(at) != n {
		t.Fatalf("%d lines came, want %d", len(at), n)
	}
	return at, start, string(login.SavedState)
}

// A login with pacing off (throttle off: a server of the user's own
// without flood protection) sends a paste of any length at once: 200
// lines, which no pace takes within pasteTime (the default's takes
// 125), go, in order; the setting is kept in the login's saved state,
// which the session is made from. Before, every login was paced: 5
// lines, then one a second. (No time is measured: on a loaded machine
// an upper bound flaked.)
func TestPasteUnpaced(t *testing.T) {
	_, _, saved := pasteTimes(t, "off", 200)
	if !strings.Contains(saved, `"throttle":0`) {
		t.Errorf("saved state %s; want pacing off in it", saved)
	}
}

// A throttle of 4 lines a second paces the lines after the burst of 5
// at a quarter of a second each: the pace lets 5 + 4 × 120 = 485 lines
// go within pasteTime (the default of one a second, 125), so 486 are
// refused; and no line after the burst goes before its time.
func TestPasteThrottled(t *testing.T) {
	at, start, _ := pasteTimes(t, "4", 9)
	// Each line after the burst is due a quarter of a second after the
	// one before, on a schedule from the paste's start: a line the
	// server read late makes no gap after it look short. (A lower
	// bound only: a loaded machine makes lines late, never early.)
	for i := 5; i < 9; i++ {
		if d, due := at[i].Sub(start), time.Duration(i-4)*250*time.Millisecond; d < due-20*time.Millisecond {
			t.Errorf("line %d came %v after the paste was sent; want no sooner than %v at 4 a second", i, d, due)
		}
	}

	srv := startScripted(t, "", "")
	f := srv.fields("kit")
	f["throttle"] = "4"
	p, _, login := loginConnected(t, nil, f)
	lines := make([]string, 486)
	for i := range lines {
		lines[i] = fmt.Sprintf("line %d", i)
	}
	res := p.Commands().Send(plugintest.SendText(login.LoginId, "bob", "txn-1", strings.Join(lines, "\n")))
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_TOO_LARGE || !strings.Contains(res.Error.GetText(), "at most 485") {
		t.Fatalf("a paste of 486 lines at 4 a second: %v; want refused, at most 485", res.Error)
	}
}

// A paste whose lines the login's pace cannot send within pasteTime (2
// minutes: well inside the SDK's deadline for a command) is refused
// whole, as too large, before a line goes: at a line a second after the
// burst of 5, 125 lines go in one message, 126 do not. Before, the
// deadline cut a long paste short, half sent, and a resend repeated the
// half. With pacing off there is no such limit.
func TestPasteTooLongForThePace(t *testing.T) {
	srv := startScripted(t, "", "")
	p, _, login := scriptedLogin(t, srv, "", "kit", "")
	lines := make([]string, 126)
	for i := range lines {
		lines[i] = fmt.Sprintf("line %d", i)
	}
	res := p.Commands().Send(plugintest.SendText(login.LoginId, "bob", "txn-1", strings.Join(lines, "\n")))
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_TOO_LARGE || !strings.Contains(res.Error.GetText(), "126 IRC lines") || !strings.Contains(res.Error.GetText(), "at most 125") {
		t.Fatalf("a paste of 126 lines at a line a second: %v", res.Error)
	}
	if res := p.Commands().Send(plugintest.SendText(login.LoginId, "bob", "txn-2", "after")); res.Error != nil {
		t.Fatalf("send: %v", res.Error)
	}
	srv.got("PRIVMSG bob after")
	for _, l := range srv.sent(0, "PRIVMSG bob :line") {
		t.Errorf("a line of the refused paste went out: %s", l)
	}

	pasteTimes(t, "off", 300) // all 300 go
}
