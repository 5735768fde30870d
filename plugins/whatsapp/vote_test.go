package whatsapp

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// xmppVoter votes from XMPP in one poll and reads what reached WhatsApp
// and the plugin's corrections.
type xmppVoter struct {
	t    *testing.T
	r    *rig
	s    *Session
	fake *wafake.Client
	poll types.MessageInfo
	chat string // the poll's chat ID
	from int    // the host's events read up to here
}

// vote votes choices and fails t on an error.
func (x *xmppVoter) vote(choices ...string) {
	x.t.Helper()
	if err := x.try(choices...); err != nil {
		x.t.Fatalf("Vote %q: %v", choices, err)
	}
}

func (x *xmppVoter) try(choices ...string) error {
	return x.s.Vote(context.Background(), sdk.Call{ChatID: x.chat},
		&pb.Vote{TargetId: x.poll.ID, TargetMeta: msgMeta{Sender: x.poll.Sender, FromMe: x.poll.IsFromMe}.encode(), Choices: choices})
}

// sent is the n-th message sent (from 1), which must be the user's vote
// in the poll, and the options it chose, decrypted as the phone and the
// other voters' devices do: with the poll's secret, as the user's.
func (x *xmppVoter) sent(n int) (wafake.Sent, [][]byte) {
	x.t.Helper()
	all, err := x.fake.WaitSent(n, eventWait)
	if err != nil || len(all) != n {
		x.t.Fatalf("%d messages sent, want %d: %v", len(all), n, err)
	}
	s := all[n-1]
	pu := s.Msg.GetPollUpdateMessage()
	if s.To != x.poll.Chat || pu == nil || pu.GetPollCreationMessageKey().GetID() != x.poll.ID {
		x.t.Fatalf("sent %v to %s, want a vote in %s to %s", s.Msg, s.To, x.poll.ID, x.poll.Chat)
	}
	ev := &events.Message{Info: types.MessageInfo{MessageSource: types.MessageSource{Chat: x.poll.Chat, Sender: me, IsFromMe: true, IsGroup: x.poll.IsGroup},
		ID: s.ID, Timestamp: time.Now()}, Message: s.Msg}
	v, err := x.fake.Real.DecryptPollVote(context.Background(), ev)
	if err != nil {
		x.t.Fatalf("the vote sent is not decrypted with the poll's secret: %v", err)
	}
	return s, v.GetSelectedOptions()
}

// correction waits for the poll's next correction and checks its text.
func (x *xmppVoter) correction(what, want string) {
	x.t.Helper()
	ev, i := x.r.host.next(x.t, x.from, func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	x.from = i + 1
	if ed := ev.GetEdit(); ed.TargetId != x.poll.ID || ed.Text != want || ev.ChatId != x.chat {
		x.t.Errorf("%s: correction %v, want of %s in %s:\n%s", what, ev, x.poll.ID, x.chat, want)
	}
}

// sameOptions says whether got are the hashes of options, in order.
func sameOptions(got [][]byte, options ...string) bool {
	if len(got) != len(options) {
		return false
	}
	for i, o := range options {
		if !bytes.Equal(got[i], hashOf(o)) {
			return false
		}
	}
	return true
}

// newXMPPVoter has poll received in chat (its message, shown), for the
// user to vote in from XMPP.
func newXMPPVoter(t *testing.T, r *rig, s *Session, fake *wafake.Client, poll types.MessageInfo, chat string, single bool) *xmppVoter {
	t.Helper()
	msg := lunchPoll()
	if !single {
		msg.PollCreationMessageV3.SelectableOptionsCount = nil
	}
	from := r.host.count()
	fake.Receive(context.Background(), &poll, msg)
	_, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	return &xmppVoter{t: t, r: r, s: s, fake: fake, poll: poll, chat: chat, from: i + 1}
}

// The user votes from XMPP in a group's poll, by number and by an
// option's text (case aside): each vote reaches WhatsApp as the user's
// vote for those options, encrypted with the poll's secret, and the
// poll's message is corrected with it counted beside the others' votes;
// WhatsApp's copy of the vote (as the user's own, from another device)
// counts it once; a vote of none takes it back.
func TestPollVoteFromXMPP(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	x := newXMPPVoter(t, r, s, fake, inGroup(alice, "POLL1"), group.String(), true)
	phoneVotes := &voter{t: t, fake: fake, poll: &x.poll}

	x.vote("2")
	sent, chosen := x.sent(1)
	if !sameOptions(chosen, "sushi") {
		t.Errorf("vote 2: chose %x, want sushi's hash", chosen)
	}
	if k := sent.Msg.GetPollUpdateMessage().GetPollCreationMessageKey(); k.GetParticipant() != alice.String() || k.GetFromMe() || k.GetRemoteJID() != group.String() {
		t.Errorf("the poll's key: %v, want alice's poll in the group", k)
	}
	x.correction("vote 2", lunchText("0 votes", "1 vote"))

	// WhatsApp gives the vote back as the user's from another device:
	// the same vote, counted once.
	fake.Receive(context.Background(), &types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: me, IsFromMe: true, IsGroup: true},
		ID: sent.ID, Timestamp: time.Now()}, sent.Msg)
	phoneVotes.n = 10
	phoneVotes.voteAt(bob, time.Now().UnixMilli(), "pizza")
	x.correction("bob's vote after the user's came back", lunchText("1 vote", "1 vote"))

	x.vote(" PIZZA ")
	if _, chosen := x.sent(2); !sameOptions(chosen, "pizza") {
		t.Errorf("vote PIZZA: chose %x, want pizza's hash", chosen)
	}
	x.correction("vote PIZZA", lunchText("2 votes", "0 votes"))

	x.vote()
	if _, chosen := x.sent(3); len(chosen) != 0 {
		t.Errorf("vote taken back: chose %x, want none", chosen)
	}
	x.correction("vote taken back", lunchText("1 vote", "0 votes"))

	// The same number twice is one choice.
	x.vote("1", "pizza")
	if _, chosen := x.sent(4); !sameOptions(chosen, "pizza") {
		t.Errorf("vote 1 and pizza: chose %x, want pizza's hash once", chosen)
	}
	x.correction("vote 1 and pizza", lunchText("2 votes", "0 votes"))
}

// A poll allowing several answers, in a chat of two: a vote for two
// options, one by number and one by text, reaches WhatsApp as both.
func TestPollVoteFromXMPPSeveral(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	x := newXMPPVoter(t, r, s, fake, direct(alice, "POLL2"), "+33611111111", false)
	x.vote("sushi", "1")
	sent, chosen := x.sent(1)
	if !sameOptions(chosen, "pizza", "sushi") { // in the poll's order
		t.Errorf("vote sushi, 1: chose %x, want pizza's and sushi's hashes", chosen)
	}
	if k := sent.Msg.GetPollUpdateMessage().GetPollCreationMessageKey(); k.GetRemoteJID() != alice.String() || k.GetFromMe() {
		t.Errorf("the poll's key: %v, want alice's poll in her chat", k)
	}
	x.correction("two answers", "Poll: Lunch? (several answers allowed)\n1. pizza: 1 vote\n2. sushi: 1 vote\n(vote with a reply: /vote 1, or on your phone)")
}

// A choice that names no option, or two in a poll of one answer, is
// refused as BAD_REQUEST naming the options; a message that is no poll
// the plugin knows (or one of another chat) as NOT_FOUND. Nothing is
// sent.
func TestPollVoteFromXMPPRefused(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	x := newXMPPVoter(t, r, s, fake, inGroup(alice, "POLL3"), group.String(), true)
	code := func(err error) pb.ErrorCode {
		var se *sdk.Error
		if !errors.As(err, &se) {
			return pb.ErrorCode_ERROR_CODE_UNSPECIFIED
		}
		return se.Code
	}
	for _, choices := range [][]string{{"3"}, {"0"}, {"tacos"}, {""}, {"1", "tacos"}, {"1", "2"}, {"pizza", "Sushi"}} {
		err := x.try(choices...)
		if code(err) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(err.Error(), ": 1. pizza, 2. sushi") {
			t.Errorf("vote %q: %v, want BAD_REQUEST naming the options", choices, err)
		}
	}
	if err := x.try("1", "2"); err == nil || !strings.Contains(err.Error(), "one answer") {
		t.Errorf("two answers in a poll of one: %v, want it said", err)
	}
	x.poll.ID = "NOSUCH"
	if err := x.try("1"); code(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("vote in a poll not known: %v, want NOT_FOUND", err)
	}
	x.poll.ID, x.chat = "POLL3", "+33611111111"
	if err := x.try("1"); code(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("vote in a poll of another chat: %v, want NOT_FOUND", err)
	}
	if sent := fake.Sent(); len(sent) != 0 {
		t.Errorf("sent %v", sent)
	}
	fenced(t, r, fake, x.from)
}

// After a restart the polls kept can still be voted in from XMPP: their
// message is kept with them, their secret in whatsmeow's store.
func TestPollVoteFromXMPPAfterRestart(t *testing.T) {
	r := newRig(t, "")
	dir := t.TempDir()
	done := r.loginQR(t, dir)
	info := sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir}
	s, fake := r.load(t, info)
	x := newXMPPVoter(t, r, s, fake, fromMe(alice, "POLL4"), "+33611111111", true)
	(&voter{t: t, fake: fake, poll: &x.poll}).vote(alice, "pizza")
	x.correction("alice's vote", lunchText("1 vote", "0 votes"))
	s.Disconnect(context.Background())

	r2 := newRig(t, "")
	s2, fake2 := r2.load(t, info)
	x.r, x.s, x.fake, x.from = r2, s2, fake2, r2.host.count()
	x.vote("2")
	sent, chosen := x.sent(1)
	if !sameOptions(chosen, "sushi") {
		t.Errorf("vote 2 after the restart: chose %x, want sushi's hash", chosen)
	}
	if k := sent.Msg.GetPollUpdateMessage().GetPollCreationMessageKey(); !k.GetFromMe() || k.GetRemoteJID() != alice.String() {
		t.Errorf("the poll's key: %v, want the user's own poll in alice's chat", k)
	}
	x.correction("vote 2 after the restart", lunchText("1 vote", "1 vote"))
}
