package whatsapp

import (
	"context"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// historyVote is a vote as a history sync gives it beside its poll:
// decrypted, under the vote message's key.
func historyVote(key *waCommon.MessageKey, at time.Time, options ...string) *waWeb.PollUpdate {
	return &waWeb.PollUpdate{PollUpdateMessageKey: key, SenderTimestampMS: proto.Int64(at.UnixMilli()),
		Vote: &waE2E.PollVoteMessage{SelectedOptions: whatsmeow.HashPollOptions(options)}}
}

// A poll that came in a history sync, with the votes cast until then,
// reads with their counts, and a later vote counts with them: a
// voter's vote from history is replaced by their later one, not added
// to. The poll's secret is read from where the history gives it, the
// history message's own field (which whatsmeow stores) or the poll's
// MessageContextInfo (which it does not).
func TestPollVoteAfterHistorySync(t *testing.T) {
	r := newRig(t, `{"history_days": 7}`)
	_, fake := r.connected(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	polled, voted := now.Add(-2*time.Hour), now.Add(-90*time.Minute)

	// In the group, alice's poll, its secret in the history message:
	// bob chose sushi, the user pizza.
	inGroupPoll := lunchPoll()
	groupWeb := &waWeb.WebMessageInfo{
		Key:              &waCommon.MessageKey{RemoteJID: proto.String(group.String()), ID: proto.String("HPOLL1"), FromMe: proto.Bool(false), Participant: proto.String(alice.String())},
		MessageTimestamp: proto.Uint64(uint64(polled.Unix())),
		MessageSecret:    inGroupPoll.GetMessageContextInfo().GetMessageSecret(),
		Message:          &waE2E.Message{PollCreationMessageV3: inGroupPoll.GetPollCreationMessageV3()},
		PollUpdates: []*waWeb.PollUpdate{
			historyVote(&waCommon.MessageKey{RemoteJID: proto.String(group.String()), ID: proto.String("HV1"), Participant: proto.String(bob.String())}, voted, "sushi"),
			historyVote(&waCommon.MessageKey{RemoteJID: proto.String(group.String()), ID: proto.String("HV2"), FromMe: proto.Bool(true)}, voted, "pizza"),
		},
	}
	// In alice's chat, her poll, its secret in the poll's
	// MessageContextInfo: she chose sushi.
	directWeb := &waWeb.WebMessageInfo{
		Key:              key(alice, "HPOLL2", false),
		MessageTimestamp: proto.Uint64(uint64(polled.Unix())),
		Message:          lunchPoll(),
		PollUpdates:      []*waWeb.PollUpdate{historyVote(key(alice, "HV3", false), voted, "sushi")},
	}
	from := r.host.historyCount()
	fake.History(ctx, &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(),
		Conversations: []*waHistorySync.Conversation{
			{ID: proto.String(group.String()), Messages: []*waHistorySync.HistorySyncMsg{{Message: groupWeb}}},
			{ID: proto.String(alice.String()), Messages: []*waHistorySync.HistorySyncMsg{{Message: directWeb}}},
		}})
	shown := map[string]string{}
	for _, b := range r.host.waitHistory(t, from+2)[from:] {
		for _, ev := range b.Events {
			shown[ev.EventId] = ev.GetMessage().GetText()
		}
	}
	if got, want := shown["HPOLL1"], lunchText("1 vote", "1 vote"); got != want {
		t.Errorf("the group's poll from history reads %q, want %q", got, want)
	}
	if got, want := shown["HPOLL2"], lunchText("0 votes", "1 vote"); got != want {
		t.Errorf("alice's poll from history reads %q, want %q", got, want)
	}

	from = r.host.count()
	at := now.Add(-time.Hour).UnixMilli()
	correction := func(v *voter, who types.JID, option, want string) {
		t.Helper()
		at += 1000
		v.voteAt(who, at, option)
		ev, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetEdit() != nil })
		from = i + 1
		if ed := ev.GetEdit(); ed.TargetId != v.poll.ID || ed.Text != want {
			t.Errorf("%s's vote for %s: correction %v, want of %s:\n%s", who, option, ev, v.poll.ID, want)
		}
	}
	inGroupV := &voter{t: t, fake: fake, poll: &types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: alice, IsGroup: true}, ID: "HPOLL1"}}
	correction(inGroupV, alice, "pizza", lunchText("2 votes", "1 vote"))
	correction(inGroupV, me, "sushi", lunchText("1 vote", "2 votes")) // the user's vote from history replaced
	directV := &voter{t: t, fake: fake, poll: &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "HPOLL2"}}
	correction(directV, me, "pizza", lunchText("1 vote", "1 vote"))
	correction(directV, alice, "pizza", lunchText("2 votes", "0 votes")) // hers from history replaced
}

// A history sync repeating a poll already remembered merges its votes:
// a voter's newer vote counts, and the last correction is kept, since
// the poll's message reads as it last did (the repeat is not shown
// again): the next vote corrects it.
func TestPollCacheHistoryRepeat(t *testing.T) {
	var c pollCache
	p := lunchPoll().GetPollCreationMessageV3()
	info := direct(alice, "P1")
	c.remember(&info, p)
	if _, tl := c.vote("P1", "+33611111111", "", 5, [][]byte{hashOf("sushi")}); tl != tallyChanged {
		t.Fatalf("live vote: %v", tl)
	}
	text, full := c.rememberVoted(&info, p, []knownVote{
		{voter: "+33611111111", at: 3, chosen: [][]byte{hashOf("pizza")}}, // older than hers counted
		{voter: "+33622222222", at: 4, chosen: [][]byte{hashOf("pizza")}},
	})
	if want := lunchText("1 vote", "1 vote"); text != want || full != 0 {
		t.Errorf("the poll again from history: %q (%d past the bound), want %q", text, full, want)
	}
	if text, tl := c.vote("P1", "+33622222222", "", 6, [][]byte{hashOf("pizza")}); tl != tallyChanged || text != lunchText("1 vote", "1 vote") {
		t.Errorf("the next vote: %v %q, want a correction", tl, text)
	}
}

// A history sync that gives a voter's vote under their LID, then again
// (a later sync) under their phone number once the store knows it: the
// voter counts once, with the newer vote.
func TestPollHistoryVoterLIDThenPhone(t *testing.T) {
	r := newRig(t, `{"history_days": 7}`)
	s, fake := r.connected(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	carol := types.NewJID("33633333333", types.DefaultUserServer)
	p := lunchPoll()
	sync := func(voter types.JID, id string, at time.Time, option string) {
		t.Helper()
		web := &waWeb.WebMessageInfo{
			Key:              &waCommon.MessageKey{RemoteJID: proto.String(group.String()), ID: proto.String("HPOLL3"), Participant: proto.String(alice.String())},
			MessageTimestamp: proto.Uint64(uint64(now.Add(-2 * time.Hour).Unix())),
			MessageSecret:    p.GetMessageContextInfo().GetMessageSecret(),
			Message:          &waE2E.Message{PollCreationMessageV3: p.GetPollCreationMessageV3()},
			PollUpdates: []*waWeb.PollUpdate{historyVote(&waCommon.MessageKey{RemoteJID: proto.String(group.String()), ID: proto.String(id),
				Participant: proto.String(voter.String())}, at, option)},
		}
		from := r.host.historyCount()
		fake.History(ctx, &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(),
			Conversations: []*waHistorySync.Conversation{{ID: proto.String(group.String()), Messages: []*waHistorySync.HistorySyncMsg{{Message: web}}}}})
		r.host.waitHistory(t, from+1)
	}
	sync(strangerL, "HV4", now.Add(-90*time.Minute), "pizza")
	if err := s.d.dev.LIDs.PutLIDMapping(ctx, strangerL, carol); err != nil {
		t.Fatal(err)
	}
	sync(carol, "HV5", now.Add(-80*time.Minute), "sushi")

	from := r.host.count()
	v := &voter{t: t, fake: fake, poll: &types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: alice, IsGroup: true}, ID: "HPOLL3"}}
	v.voteAt(bob, now.Add(-time.Hour).UnixMilli(), "pizza")
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	if got, want := ev.GetEdit().GetText(), lunchText("1 vote", "1 vote"); got != want {
		t.Errorf("after carol's vote by LID, then by phone: %q, want %q", got, want)
	}
}
