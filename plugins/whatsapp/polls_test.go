package whatsapp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"strconv"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// lunchPoll is a single-answer poll as a phone sends it, with the message
// secret its votes are encrypted with.
func lunchPoll() *waE2E.Message {
	secret := make([]byte, 32)
	rand.Read(secret)
	return &waE2E.Message{
		PollCreationMessageV3: &waE2E.PollCreationMessage{Name: proto.String("Lunch?"), SelectableOptionsCount: proto.Uint32(1),
			Options: []*waE2E.PollCreationMessage_Option{{OptionName: proto.String("pizza")}, {OptionName: proto.String("sushi")}}},
		MessageContextInfo: &waE2E.MessageContextInfo{MessageSecret: secret},
	}
}

// lunchText is the poll with its counts.
func lunchText(pizza, sushi string) string {
	return "Poll: Lunch?\n1. pizza: " + pizza + "\n2. sushi: " + sushi + "\n(vote with a reply: /vote 1, or on your phone)"
}

// voter casts votes in one poll through the fake, as whatsmeow would
// hand them over, each later than the last unless told.
type voter struct {
	t    *testing.T
	fake *wafake.Client
	poll *types.MessageInfo
	n    int
}

// vote is who's vote for options (none: taken back), cast at ms.
func (v *voter) voteAt(who types.JID, ms int64, options ...string) {
	v.t.Helper()
	ctx := context.Background()
	msg, err := v.fake.PollVote(ctx, who, v.poll, options...)
	if err != nil {
		v.t.Fatalf("PollVote: %v", err)
	}
	msg.PollUpdateMessage.SenderTimestampMS = proto.Int64(ms)
	v.n++
	info := types.MessageInfo{MessageSource: types.MessageSource{Chat: v.poll.Chat, Sender: who, IsGroup: v.poll.IsGroup},
		ID: types.MessageID("VOTE" + strconv.Itoa(v.n)), Timestamp: when.Add(time.Duration(v.n) * time.Second)}
	if who == me {
		info.IsFromMe = true
	}
	v.fake.Receive(ctx, &info, msg)
}

func (v *voter) vote(who types.JID, options ...string) {
	v.t.Helper()
	v.voteAt(who, when.UnixMilli()+int64(v.n+1)*1000, options...)
}

// A poll's votes, a contact's and the user's own from the phone, correct
// the poll's message with the counts as they stand; a changed vote
// replaces the voter's last, an empty one takes it back.
func TestPollVotes(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	poll := inGroup(alice, "POLL1")
	from := r.host.count()
	fake.Receive(ctx, &poll, lunchPoll())
	ev, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if want := "Poll: Lunch?\n1. pizza\n2. sushi\n(vote with a reply: /vote 1, or on your phone)"; ev.GetMessage().Text != want {
		t.Fatalf("poll: %q, want %q", ev.GetMessage().Text, want)
	}
	from = i + 1

	v := &voter{t: t, fake: fake, poll: &poll}
	correction := func(what, want string) {
		t.Helper()
		ev, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetEdit() != nil })
		from = i + 1
		ed := ev.GetEdit()
		if ed.TargetId != "POLL1" || ed.Text != want || ev.ChatId != group.String() || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP ||
			ev.Sender.GetUserId() != "+33611111111" || ev.EventId != "" {
			t.Errorf("%s: correction %v, want of POLL1 by +33611111111 in %s:\n%s", what, ev, group, want)
		}
	}
	v.vote(alice, "pizza")
	correction("a contact's vote", lunchText("1 vote", "0 votes"))
	v.vote(bob, "sushi")
	correction("another's", lunchText("1 vote", "1 vote"))
	v.vote(alice, "sushi")
	correction("a vote changed", lunchText("0 votes", "2 votes"))
	v.vote(me, "pizza")
	correction("the user's own, from the phone", lunchText("1 vote", "2 votes"))
	v.vote(bob)
	correction("a vote taken back", lunchText("1 vote", "1 vote"))
	v.vote(bob, "sushi")
	correction("cast again", lunchText("1 vote", "2 votes"))

	// The same vote again, a vote delivered late (older than the one
	// counted), a vote for a poll never seen (its key names no known
	// message, its payload nothing whatsmeow could decrypt): no
	// correction, and the session goes on.
	v.vote(me, "pizza")
	v.voteAt(alice, when.UnixMilli(), "pizza")
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: bob, IsGroup: true}, ID: "VOTEX", Timestamp: when},
		&waE2E.Message{PollUpdateMessage: &waE2E.PollUpdateMessage{PollCreationMessageKey: key(group, "NOSUCH", false),
			Vote: &waE2E.PollEncValue{EncPayload: []byte("junk"), EncIV: []byte("iv")}}})
	fenced(t, r, fake, from)
}

// fenced sends a message and fails t if a correction came before it.
func fenced(t *testing.T, r *rig, fake *wafake.Client, from int) {
	t.Helper()
	fake.Receive(context.Background(), &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "FENCE", Timestamp: when},
		&waE2E.Message{Conversation: proto.String("fence")})
	_, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage().GetText() == "fence" })
	for _, ev := range r.host.since(from)[:i-from] {
		if ev.GetEdit() != nil {
			t.Errorf("a correction came: %v", ev)
		}
	}
}

// A poll the user sent from the phone, in a chat of two: the contact's
// vote corrects it as the user's message.
func TestPollVoteOwnPoll(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	poll := fromMe(alice, "POLL2")
	from := r.host.count()
	fake.Receive(context.Background(), &poll, lunchPoll())
	_, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	v := &voter{t: t, fake: fake, poll: &poll}
	v.vote(alice, "sushi")
	ev, _ := r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	if ed := ev.GetEdit(); ed.TargetId != "POLL2" || ed.Text != lunchText("0 votes", "1 vote") || ev.ChatId != "+33611111111" || !ev.Sender.GetIsFromMe() {
		t.Errorf("correction: %v", ev)
	}
}

// After a restart (a new network on the same login folder) the polls
// seen before are still known with their votes: whatsmeow decrypts a
// vote with the poll's secret (on disk), and the plugin counts it with
// the votes before the restart. A vote older than one counted before
// the restart still changes nothing.
func TestPollVoteAfterRestart(t *testing.T) {
	r := newRig(t, "")
	dir := t.TempDir()
	done := r.loginQR(t, dir)
	info := sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir}
	s, fake := r.load(t, info)
	poll := inGroup(alice, "POLL3")
	fake.Receive(context.Background(), &poll, lunchPoll())
	_, i := r.host.next(t, 0, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	v := &voter{t: t, fake: fake, poll: &poll}
	v.vote(alice, "pizza")
	r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetEdit().GetText() == lunchText("1 vote", "0 votes") })
	s.Disconnect(context.Background())

	// The plugin again: a new network on the same login folder.
	r2 := newRig(t, "")
	_, fake2 := r2.load(t, info)
	v.fake = fake2
	from := r2.host.count()
	v.vote(bob, "sushi")
	ev, i := r2.host.next(t, from, func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	if ed := ev.GetEdit(); ed.TargetId != "POLL3" || ed.Text != lunchText("1 vote", "1 vote") || ev.ChatId != group.String() ||
		ev.Sender.GetUserId() != "+33611111111" {
		t.Errorf("the correction after the restart: %v, want of POLL3 by +33611111111 in %s:\n%s", ev, group, lunchText("1 vote", "1 vote"))
	}
	v.voteAt(alice, when.UnixMilli(), "sushi") // older than her vote counted
	fenced(t, r2, fake2, i+1)
}

// The cache forgets the poll seen longest ago past pollsMax, and counts
// at most pollVotersMax voters a poll, a voter counted under their LID
// being no new voter under their phone number.
func TestPollCacheBound(t *testing.T) {
	var c pollCache
	p := lunchPoll().GetPollCreationMessageV3()
	for i := range pollsMax + 1 {
		info := direct(alice, "P"+strconv.Itoa(i))
		c.remember(&info, p)
	}
	if _, ok := c.message("P0"); ok {
		t.Error("the oldest poll still remembered")
	}
	if _, ok := c.message("P" + strconv.Itoa(pollsMax)); !ok || len(c.m) != pollsMax || len(c.order) != pollsMax {
		t.Errorf("newest forgotten, or %d polls (%d in order)", len(c.m), len(c.order))
	}
	id := "P" + strconv.Itoa(pollsMax)
	pizza := [][]byte{hashOf("pizza")}
	for i := range pollVotersMax {
		if _, tl := c.vote(id, "voter"+strconv.Itoa(i), "", 1, pizza); tl != tallyChanged {
			t.Fatalf("voter %d: %v", i, tl)
		}
	}
	if _, tl := c.vote(id, "one more", "", 1, pizza); tl != tallyFull {
		t.Errorf("voter past the bound: %v", tl)
	}
	if text, tl := c.vote(id, "voter0", "", 2, nil); tl != tallyChanged || text != lunchText("1023 votes", "0 votes") {
		t.Errorf("a voter counted changing their vote: %v %q", tl, text)
	}
	// One counted under another ID (their LID) is not a new voter.
	if text, tl := c.vote(id, "+1", "voter1", 3, nil); tl != tallyChanged || text != lunchText("1022 votes", "0 votes") {
		t.Errorf("a voter counted, under their other ID: %v %q", tl, text)
	}
	if _, tl := c.vote(id, "one more", "", 4, pizza); tl != tallyFull {
		t.Errorf("voter past the bound, after a merge: %v", tl)
	}
}

func hashOf(option string) []byte {
	h := sha256.Sum256([]byte(option))
	return h[:]
}

// A poll delivered again keeps the votes counted.
func TestPollCacheRepeat(t *testing.T) {
	var c pollCache
	p := lunchPoll().GetPollCreationMessageV3()
	info := direct(alice, "P1")
	c.remember(&info, p)
	c.vote("P1", "+33611111111", "", 1, [][]byte{hashOf("sushi")})
	c.remember(&info, p)
	if text, tl := c.vote("P1", "+33622222222", "", 2, [][]byte{hashOf("sushi"), []byte("short"), hashOf("nothing")}); tl != tallyChanged || text != lunchText("0 votes", "2 votes") {
		t.Errorf("after the poll again: %v %q", tl, text)
	}
}

// One person votes under their LID and under their phone number (a
// group in LID addressing mode, their number learnt or not yet): they
// count once, with their newer vote, whichever came first.
func TestPollVoterLIDAndPhone(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	poll := inGroup(bob, "POLL5")
	from := r.host.count()
	fake.Receive(ctx, &poll, lunchPoll())
	_, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	from = i + 1
	v := &voter{t: t, fake: fake, poll: &poll}
	correction := func(what, want string) {
		t.Helper()
		ev, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetEdit() != nil })
		from = i + 1
		if got := ev.GetEdit().GetText(); got != want {
			t.Errorf("%s: correction %q, want %q", what, got, want)
		}
	}

	// Carol by her LID alone, then by her phone number once the store
	// knows it (whatsmeow learnt it): her vote changes.
	carol := types.NewJID("33633333333", types.DefaultUserServer)
	v.vote(strangerL, "pizza")
	correction("by LID", lunchText("1 vote", "0 votes"))
	if err := s.d.dev.LIDs.PutLIDMapping(ctx, strangerL, carol); err != nil {
		t.Fatal(err)
	}
	v.vote(carol, "sushi")
	correction("the same voter by phone", lunchText("0 votes", "1 vote"))

	// Dave by his phone number, then by his LID before it is known to be
	// his (the plugin cannot tell yet), then his number comes beside his
	// LID: from then on he counts once.
	dave, daveL := types.NewJID("33644444444", types.DefaultUserServer), types.NewJID("777888999", types.HiddenUserServer)
	v.vote(dave, "pizza")
	correction("by phone", lunchText("1 vote", "1 vote"))
	v.vote(daveL, "pizza")
	correction("by a LID not known to be his", lunchText("2 votes", "1 vote"))
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: daveL, SenderAlt: dave, IsGroup: true, AddressingMode: types.AddressingModeLID},
		ID: "D1", Timestamp: when}, &waE2E.Message{Conversation: proto.String("hi")})
	v.vote(alice, "sushi")
	correction("another's vote, his LID now known", lunchText("1 vote", "2 votes"))
	v.vote(daveL, "sushi")
	correction("his vote changed by LID", lunchText("0 votes", "3 votes"))
}

// Votes kept under a LID and under its phone number before a restart
// count as one voter's after it, once the store knows the LID's number.
func TestPollVoterMergedAfterRestart(t *testing.T) {
	r := newRig(t, "")
	dir := t.TempDir()
	done := r.loginQR(t, dir)
	info := sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir}
	s, fake := r.load(t, info)
	poll := inGroup(alice, "POLL6")
	fake.Receive(context.Background(), &poll, lunchPoll())
	_, i := r.host.next(t, 0, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	carol := types.NewJID("33633333333", types.DefaultUserServer)
	v := &voter{t: t, fake: fake, poll: &poll}
	v.vote(strangerL, "pizza")
	v.vote(carol, "sushi") // newer: the one that counts
	r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetEdit().GetText() == lunchText("1 vote", "1 vote") })
	if err := s.d.dev.LIDs.PutLIDMapping(context.Background(), strangerL, carol); err != nil {
		t.Fatal(err)
	}
	s.Disconnect(context.Background())

	r2 := newRig(t, "")
	_, fake2 := r2.load(t, info)
	v.fake = fake2
	from := r2.host.count()
	v.vote(bob, "sushi")
	ev, _ := r2.host.next(t, from, func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	if got, want := ev.GetEdit().GetText(), lunchText("0 votes", "2 votes"); got != want {
		t.Errorf("after the restart: %q, want %q", got, want)
	}
}

// pollV6 is lunchPoll in the newest form (pollCreationMessageV6, field
// 119, newer than the pinned whatsmeow), with a field of that form's
// own (its end time) that whatsmeow's PollCreationMessage does not know.
func pollV6() *waE2E.Message {
	old := lunchPoll()
	p := old.GetPollCreationMessageV3()
	p.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 9, protowire.VarintType), 1893456000000))
	b, err := proto.Marshal(p)
	if err != nil {
		panic(err)
	}
	m := &waE2E.Message{MessageContextInfo: old.MessageContextInfo}
	m.ProtoReflect().SetUnknown(protowire.AppendBytes(protowire.AppendTag(nil, 119, protowire.BytesType), b))
	return m
}

// A poll of the newest form (V6: what the apps send for a poll that
// hides its voters or ends) shows and counts as the other forms do; it
// was the notice to see it on the phone, its votes dropped.
func TestPollV6(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	poll := inGroup(alice, "POLL6")
	from := r.host.count()
	fake.Receive(ctx, &poll, pollV6())
	ev, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if want := "Poll: Lunch?\n1. pizza\n2. sushi\n(vote with a reply: /vote 1, or on your phone)"; ev.GetMessage().Text != want {
		t.Fatalf("poll: %q, want %q", ev.GetMessage().Text, want)
	}
	v := &voter{t: t, fake: fake, poll: &poll}
	v.vote(bob, "sushi")
	ev, _ = r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	if ed := ev.GetEdit(); ed.TargetId != "POLL6" || ed.Text != lunchText("0 votes", "1 vote") {
		t.Errorf("a vote: %v", ev)
	}
}
