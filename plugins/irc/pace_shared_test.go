package irc_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestPastesShareThePace: the login's lines share one pace, so a
// paste is measured with the lines of the login's other messages still
// queued. Two pastes that each fit the 2 minutes alone, sent at once to
// two chats, went line for line in turn and each took twice as long:
// past the SDK's 3-minute limit of a command, both were cut short half
// sent (and a resend repeated the half). The second is refused whole.
func TestPastesShareThePace(t *testing.T) {
	srv := startScripted(t, "", "")
	f := srv.fields("kit")
	f["throttle"] = "10" // 1,205 lines within 2 minutes
	p, _, login := loginConnected(t, nil, f)
	paste := func(n int) string {
		lines := make([]string, n)
		for i := range lines {
			lines[i] = fmt.Sprintf("line %d", i)
		}
		return strings.Join(lines, "\n")
	}
	cmds := p.Commands()
	first := cmds.Go(plugintest.SendText(login.LoginId, "bob", "txn-1", paste(1100)))
	srv.got("PRIVMSG bob :line 10")
	second := cmds.Go(plugintest.SendText(login.LoginId, "carol", "txn-2", paste(1100)))
	select {
	case r := <-second:
		if r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_TOO_LARGE {
			t.Fatalf("the second paste: %v, want it refused as too large while the first's lines are queued", r.Error)
		}
	case <-time.After(plugintest.Timeout):
		t.Fatal("the second paste was taken while the first's 1,100 lines were queued: in turn with them it takes about 4 minutes, past the command's 3-minute limit")
	}
	// A line to a third chat still goes at once, in turn with the paste.
	if r := cmds.Wait(cmds.Go(plugintest.SendText(login.LoginId, "dave", "txn-3", "hi dave"))); r.Error != nil {
		t.Fatalf("a line beside the paste: %v", r.Error)
	}
	srv.got("PRIVMSG dave :hi dave")
	_ = first
}

// TestCTCPAnswersWithinThePace: the answers to CTCP queries go
// within the login's pace, with the user's lines: the server counts
// every line of the connection. A paste at the pace, with CTCP queries
// answered beside it at their own pace, sent more than the server
// takes (half as much again at 1 line a second with queries coming on),
// and a server with flood protection disconnects for that.
func TestCTCPAnswersWithinThePace(t *testing.T) {
	srv := startScripted(t, "", "")
	f := srv.fields("kit")
	f["throttle"] = "4" // 5 at once, then 4 lines a second
	p, _, login := loginConnected(t, nil, f)
	const n = 45 // 10 s at the pace
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf("line %d", i)
	}
	cmds := p.Commands()
	// The window counted starts before the command is sent: a line
	// the server reads late (a loaded machine) only widens it.
	start := time.Now()
	sent := cmds.Go(plugintest.SendText(login.LoginId, "bob", "txn-1", strings.Join(lines, "\n")))
	srv.got("PRIVMSG bob :line 0")
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			srv.send(":n%d!b@h PRIVMSG kit :\x01PING %d\x01", i, i)
		}
	}()
	if r := cmds.Wait(sent); r.Error != nil {
		t.Fatalf("paste: %v", r.Error)
	}
	close(stop)
	<-done
	srv.mu.Lock()
	defer srv.mu.Unlock()
	var last time.Time
	for i, l := range srv.lines {
		if strings.HasPrefix(l, "PRIVMSG bob :line ") {
			last = srv.times[i]
		}
	}
	count := 0
	for i, l := range srv.lines {
		if t := srv.times[i]; t.Before(start) || t.After(last) {
			continue
		}
		if strings.HasPrefix(l, "PRIVMSG ") || strings.HasPrefix(l, "NOTICE ") {
			count++
		}
	}
	// The pace lets 5 lines out at once and 4 a second after; 2 more
	// for the tokens at the window's edges.
	if most := 5 + int(last.Sub(start).Seconds()*4) + 2; count > most {
		t.Errorf("%d lines sent in %v while pasting; the pace takes at most %d (the CTCP answers went beside the paste's lines)", count, last.Sub(start), most)
	}
}
