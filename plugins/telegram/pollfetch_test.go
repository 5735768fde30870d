package telegram

import (
	"strconv"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// A poll the session never saw (sent before the login, from another
// device) is closed all the same: the cache misses, Telegram is asked for
// the message (messages.getMessages; the group's too, its IDs being the
// account's), the poll remembered, then closed as one seen; its message
// is corrected once to the results, votes cast while it was unknown
// counted. One already closed on Telegram asks no closing and is
// corrected to its results. Another's poll is NOT_ALLOWED once fetched;
// a message that is no poll, another chat's, or none at all NOT_FOUND.
func TestClosePollNeverSeen(t *testing.T) {
	srv := newFake(t)
	toBob := &tg.PeerUser{UserID: bob.ID}
	toAlice := &tg.PeerUser{UserID: alice.ID}
	mine := srv.Send(alice.ID, toBob, "", lunch(81))
	inGroup := srv.Send(alice.ID, &tg.PeerChat{ChatID: 77}, "", lunch(82))
	closedAlready := srv.Send(alice.ID, toBob, "", lunch(83))
	bobs := srv.Send(bob.ID, toAlice, "", lunch(84))
	plain := srv.Send(bob.ID, toAlice, "no poll")
	// Votes before the login: counted from Telegram's copy.
	srv.Vote(bob.ID, mine, []byte{0})
	srv.Vote(carol.ID, inGroup, []byte{1})
	srv.Vote(bob.ID, closedAlready, []byte{1})
	srv.ClosePoll(closedAlready)
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	target := func(gid int) string { return strconv.Itoa(srv.ID(gid, alice.ID)) }

	closeOnce := func(chat string, gid int, text string) {
		t.Helper()
		from := h.count()
		gets, edits := srv.Requests("messages.getMessages"), srv.Requests("messages.editMessage")
		if err := s.ClosePoll(ctx, sdk.Call{ChatID: chat}, &pb.ClosePoll{TargetId: target(gid)}); err != nil {
			t.Fatalf("closing %s in %s: %v", target(gid), chat, err)
		}
		if n := srv.Requests("messages.getMessages") - gets; n != 1 {
			t.Errorf("closing %s: %d messages.getMessages, want 1", target(gid), n)
		}
		if n := srv.Requests("messages.editMessage") - edits; n != 1 {
			t.Errorf("closing %s: %d messages.editMessage, want 1", target(gid), n)
		}
		if !pollClosedOn(srv, alice.ID, gid) || !pollClosedOn(srv, bob.ID, gid) {
			t.Errorf("closing %s: the poll is open on Telegram", target(gid))
		}
		ev := h.wait(t, from, "the closing's correction", isCorrection(chat, target(gid), text))
		if !ev.GetSender().GetIsFromMe() {
			t.Errorf("the closing's correction is from %v, want the user", ev.GetSender())
		}
		srv.Send(bob.ID, toAlice, "after closing "+target(gid))
		h.wait(t, from, "bob's message after the closing", isMessage("1002", "after closing "+target(gid)))
		if n := h.corrections(from, chat, target(gid)); n != 1 {
			t.Errorf("closing %s: %d corrections, want 1", target(gid), n)
		}
	}
	closeOnce("1002", mine, "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 0 votes\n(closed)")
	closeOnce("-77", inGroup, "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 1 vote\n(closed)")

	// Closed on Telegram already: nothing to close, the results told.
	from := h.count()
	edits := srv.Requests("messages.editMessage")
	if err := s.ClosePoll(ctx, sdk.Call{ChatID: "1002"}, &pb.ClosePoll{TargetId: target(closedAlready)}); err != nil {
		t.Errorf("closing a poll closed already: %v", err)
	}
	if n := srv.Requests("messages.editMessage"); n != edits {
		t.Errorf("closing a poll closed already asked Telegram %d times to close it", n-edits)
	}
	h.wait(t, from, "the closed poll's correction", isCorrection("1002", target(closedAlready), "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 1 vote\n(closed)"))

	// Bob's: fetched, not the user's to close.
	edits = srv.Requests("messages.editMessage")
	err := s.ClosePoll(ctx, sdk.Call{ChatID: "1002"}, &pb.ClosePoll{TargetId: target(bobs)})
	wantCode(t, "closing bob's poll", err, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "only who started a poll")
	if n := srv.Requests("messages.editMessage"); n != edits {
		t.Errorf("closing bob's poll asked Telegram %d times", n-edits)
	}

	for what, c := range map[string]struct{ chat, target string }{
		"a plain message":     {"1002", target(plain)},
		"another chat's poll": {"-77", target(bobs)},
		"no such message":     {"1002", "9999"},
	} {
		err := s.ClosePoll(ctx, sdk.Call{ChatID: c.chat}, &pb.ClosePoll{TargetId: c.target})
		wantCode(t, what, err, pb.ErrorCode_ERROR_CODE_NOT_FOUND)
	}
	if n := srv.Requests("messages.editMessage"); n != edits {
		t.Errorf("closing no poll asked Telegram %d times", n-edits)
	}
}

// In a supergroup, a poll the session never saw is asked of Telegram by
// channels.getMessages (the channel's own message IDs), then closed; the
// correction comes once, in the supergroup's room. Bob's poll there is
// NOT_ALLOWED once fetched; a message the channel has not, NOT_FOUND.
func TestClosePollNeverSeenSupergroup(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 650, Title: "Lunch club", Members: []int64{alice.ID, bob.ID}, Creator: alice.ID})
	club := &tg.PeerChannel{ChannelID: 650}
	mine := srv.Send(alice.ID, club, "", lunch(91))
	bobs := srv.Send(bob.ID, club, "", lunch(92))
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	chat := "-100650"

	from := h.count()
	if err := s.ClosePoll(ctx, sdk.Call{ChatID: chat}, &pb.ClosePoll{TargetId: strconv.Itoa(mine)}); err != nil {
		t.Fatalf("closing the supergroup's poll: %v", err)
	}
	if n := srv.Requests("channels.getMessages"); n != 1 {
		t.Errorf("%d channels.getMessages, want 1", n)
	}
	if !srv.ChannelPollClosed(650, mine) {
		t.Error("the supergroup's poll is open on Telegram")
	}
	h.wait(t, from, "the closing's correction", isCorrection(chat, strconv.Itoa(mine), "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 0 votes\n(closed)"))
	srv.Send(bob.ID, club, "after the closing")
	h.wait(t, from, "bob's message after the closing", isMessage(chat, "after the closing"))
	if n := h.corrections(from, chat, strconv.Itoa(mine)); n != 1 {
		t.Errorf("%d corrections, want 1", n)
	}

	err := s.ClosePoll(ctx, sdk.Call{ChatID: chat}, &pb.ClosePoll{TargetId: strconv.Itoa(bobs)})
	wantCode(t, "closing bob's poll", err, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "only who started a poll")
	if srv.ChannelPollClosed(650, bobs) {
		t.Error("bob's poll closed")
	}
	err = s.ClosePoll(ctx, sdk.Call{ChatID: chat}, &pb.ClosePoll{TargetId: "999"})
	wantCode(t, "no such message", err, pb.ErrorCode_ERROR_CODE_NOT_FOUND)
}
