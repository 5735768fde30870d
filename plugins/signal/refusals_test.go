package signal_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// signal-cli refuses some sends with a user error (-1) in words meant
// for its command line: each comes back with the contract's code and
// what it means. Before, all were BAD_REQUEST carrying signal-cli's
// words ("The user +1555... is not registered.").
func TestRefusalsSaid(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)

	// A number no Signal account has (UnregisteredRecipientException).
	d.Fail(eve, "UNREGISTERED_FAILURE")
	wantRefused(t, "send to a number not on Signal", s.do(eve, &pb.SendMessage{Text: "hello?"}),
		pb.ErrorCode_ERROR_CODE_NOT_FOUND, eve+" is not on Signal")

	// A group alice never was in.
	wantRefused(t, "send to an unknown group", s.do(hexGroup(fakesignal.NewGroupID()), &pb.SendMessage{Text: "x"}),
		pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no such Signal group")
}

// Signal's spam check wants a captcha (ProofRequiredException, which
// signal-cli answers as a rate limit with the challenge's token): the
// user is told what it is and what to do. Before, it said only to slow
// down, and waiting does not lift it.
func TestCaptchaAsked(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	d.Fail(bob, "PROOF_REQUIRED")
	wantRefused(t, "send under a captcha challenge", s.do(bob, &pb.SendMessage{Text: "x"}),
		pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "captcha", "on your phone", "60 s")
	// The admin's way, in the log: the challenge and signal-cli's command.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		log := s.p.Stderr() // read as the plugin writes it
		if strings.Contains(log, "fake-challenge-token") && strings.Contains(log, "submitRateLimitChallenge") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log does not give the captcha's challenge and how to answer it:\n%s", log)
		}
	}
}

// A group the user was removed from while the plugin did not see the
// update (it came while no session was subscribed, or was lost): the
// next send there is refused by signal-cli (NotAGroupMemberException).
// The user reads that they are no longer in the group, and the room
// goes as one they were removed from. Before, the error was signal-cli's
// words as BAD_REQUEST, and the room stayed, every message refused.
func TestSendToGroupLeftUnseen(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	g, _ := d.GetGroup(alice, gid)
	g.Members = slices.DeleteFunc(g.Members, func(m fakesignal.Member) bool { return m.Number == alice })
	g.Revision++
	d.SetGroup(alice, g) // no update delivered

	wantRefused(t, "send to a group left unseen", s.do(group, &pb.SendMessage{Text: "anyone?"}),
		pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "no longer in this Signal group")
	ev := s.next(func(ev *pb.Event) bool { return ev.GetChatRemoved() != nil })
	if ev.ChatId != group || ev.GetChatRemoved().Reason != pb.ChatRemovedEvent_REASON_KICKED {
		t.Fatalf("after the refused send: %v, want the group's chat removed (KICKED)", ev)
	}
}

// signal-cli dying while it carries out a send: the answer never comes,
// and the message may have reached Signal all the same. The error says
// so, so that the user checks before sending it again (twice, on the
// contacts' phones). Before, it said only that Signal was not available.
func TestSendCutByCrashMayHaveGone(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	d.Stall("send")
	res := make(chan *pb.CommandResult, 1)
	go func() { res <- s.cmds.Send(plugintest.SendText(s.loginID, bob, "txn-cut", "cut short")) }()
	for len(d.StalledRequests("send")) == 0 {
		time.Sleep(10 * time.Millisecond) // until signal-cli has it
	}
	d.Crash()
	wantRefused(t, "a send cut by signal-cli's death", <-res, pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "may have gone through")
	if err := d.Restart(); err != nil {
		t.Fatal(err)
	}
	s.state(pb.LoginState_LOGIN_STATE_CONNECTED)
}
