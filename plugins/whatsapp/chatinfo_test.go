package whatsapp

import (
	"context"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// pinAt is a PinInChatMessage naming message id of chat, made at at,
// for secs seconds (0: says no length).
func pinAt(chat types.JID, id string, typ waE2E.PinInChatMessage_Type, at time.Time, secs uint32) *waE2E.Message {
	m := &waE2E.Message{PinInChatMessage: &waE2E.PinInChatMessage{Key: key(chat, id, false), Type: typ.Enum(), SenderTimestampMS: proto.Int64(at.UnixMilli())}}
	if secs > 0 {
		m.MessageContextInfo = &waE2E.MessageContextInfo{MessageAddOnDurationInSecs: proto.Uint32(secs)}
	}
	return m
}

// timerOf is a ChatInfo's timer: -1 when unset (not known).
func timerOf(t *testing.T, s *Session, chatID string) int64 {
	t.Helper()
	c, err := s.ChatInfo(context.Background(), chatID)
	if err != nil {
		t.Fatalf("ChatInfo %s: %v", chatID, err)
	}
	if c.Timer == nil {
		return -1
	}
	return c.Timer.Seconds
}

// pinsOf is a ChatInfo's pinned messages.
func pinsOf(t *testing.T, s *Session, chatID string) []string {
	t.Helper()
	c, err := s.ChatInfo(context.Background(), chatID)
	if err != nil {
		t.Fatalf("ChatInfo %s: %v", chatID, err)
	}
	return c.PinnedIds
}

// ChatInfo says a chat's disappearing-messages timer: a group's from its
// info (on, and off: 0, known), a one-to-one chat's as the plugin learnt
// it from the contact's change (on, then off: 0), and none (not known)
// for a chat the plugin knows nothing of; after a restart the same.
// (Before: ChatInfo said no timer at all.)
func TestChatInfoTimer(t *testing.T) {
	r := newRig(t, "")
	dir := t.TempDir()
	done := r.loginQR(t, dir)
	info := sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir}
	s, fake := r.load(t, info)
	ctx := context.Background()
	g2 := types.NewJID("120363000000000002", types.GroupServer)
	members := []types.GroupParticipant{{JID: me}, {JID: bob}}
	fake.SetGroup(&types.GroupInfo{JID: group, Participants: members,
		GroupEphemeral: types.GroupEphemeral{IsEphemeral: true, DisappearingTimer: 604800}})
	fake.SetGroup(&types.GroupInfo{JID: g2, Participants: members})

	if got := timerOf(t, s, group.String()); got != 604800 {
		t.Errorf("a group with a week's timer: %d", got)
	}
	if got := timerOf(t, s, g2.String()); got != 0 {
		t.Errorf("a group without a timer: %d, want 0 (off, known)", got)
	}
	if got := timerOf(t, s, "+33611111111"); got != -1 {
		t.Errorf("a one-to-one chat before anything: %d, want none (not known)", got)
	}

	set := time.Now().Add(-time.Minute)
	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "T1", Timestamp: set}, timerMessage(86400, set))
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "T1" })
	if got := timerOf(t, s, "+33611111111"); got != 86400 {
		t.Errorf("Alice's chat after her change: %d, want a day", got)
	}
	if got := timerOf(t, s, "+33622222222"); got != -1 {
		t.Errorf("Bob's chat: %d, want none (not known)", got)
	}
	off := time.Now()
	from = r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "T2", Timestamp: off}, timerMessage(0, off))
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "T2" })
	if got := timerOf(t, s, "+33611111111"); got != 0 {
		t.Errorf("Alice's chat turned off: %d, want 0", got)
	}
	if err := s.SetChatTimer(ctx, sdk.Call{ChatID: "+33622222222"}, 90*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := timerOf(t, s, "+33622222222"); got != 90*86400 {
		t.Errorf("Bob's chat after the user's /timer 90d: %d", got)
	}
	s.Disconnect(ctx)

	r2 := newRig(t, "")
	s2, fake2 := r2.load(t, info)
	fake2.SetGroup(&types.GroupInfo{JID: group, Participants: members})
	if got := timerOf(t, s2, "+33611111111"); got != 0 {
		t.Errorf("Alice's chat after a restart: %d, want 0", got)
	}
	if got := timerOf(t, s2, "+33622222222"); got != 90*86400 {
		t.Errorf("Bob's chat after a restart: %d", got)
	}
	if got := timerOf(t, s2, "+33633333333"); got != -1 {
		t.Errorf("another chat after a restart: %d, want none", got)
	}
	if got := timerOf(t, s2, group.String()); got != 0 {
		t.Errorf("the group, its timer off meanwhile: %d", got)
	}
}

// ChatInfo lists the messages pinned now, oldest pin first, from the
// pins the plugin saw or made: a contact's, the user's from the phone,
// the user's own from XMPP; an unpin takes one off, as does deleting the
// message pinned (the contact's delete, the user's from XMPP); a pin run
// out (its own length; 7 days when it says none) is not listed, nor is
// one outdone by a newer unpin, while an unpin older than the pin
// delivered late changes nothing; a fourth pin pushes out the oldest for
// good (WhatsApp keeps three); a group's are its own. After a restart
// the same, from the login's folder. (Before: ChatInfo listed no pins.)
func TestChatInfoPins(t *testing.T) {
	r := newRig(t, "")
	dir := t.TempDir()
	done := r.loginQR(t, dir)
	info := sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir}
	s, fake := r.load(t, info)
	ctx := context.Background()
	const chat = "+33611111111"
	t0 := time.Now().Truncate(time.Millisecond)
	receive := func(info types.MessageInfo, msg *waE2E.Message) {
		t.Helper()
		n := r.host.count()
		fake.Receive(ctx, &info, msg)
		r.host.next(t, n, func(ev *pb.Event) bool { return ev.EventId == info.ID })
	}
	want := func(s *Session, chatID string, ids ...string) {
		t.Helper()
		if got := pinsOf(t, s, chatID); !slices.Equal(got, ids) {
			t.Errorf("pinned in %s: %q, want %q", chatID, got, ids)
		}
	}
	want(s, chat)

	// Alice pins IN1 for a day (two hours ago), the user's phone IN3 (an
	// hour ago), the user IN2 from XMPP (now).
	receive(direct(alice, "P1"), pinAt(alice, "IN1", waE2E.PinInChatMessage_PIN_FOR_ALL, t0.Add(-2*time.Hour), 86400))
	want(s, chat, "IN1")
	fromPhone := types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: phone, IsFromMe: true}, ID: "P2", Timestamp: when}
	receive(fromPhone, &waE2E.Message{DeviceSentMessage: &waE2E.DeviceSentMessage{DestinationJID: proto.String(alice.String()),
		Message: pinAt(alice, "IN3", waE2E.PinInChatMessage_PIN_FOR_ALL, t0.Add(-time.Hour), 0)}})
	if err := pinCall(s, chat, "tx1", "IN2", msgMeta{Sender: alice}, false); err != nil {
		t.Fatal(err)
	}
	want(s, chat, "IN1", "IN3", "IN2")

	// An unpin of IN2 older than its pin, delivered late, changes
	// nothing; Alice's unpin of IN1 takes it off.
	receive(direct(alice, "P3"), pinAt(alice, "IN2", waE2E.PinInChatMessage_UNPIN_FOR_ALL, t0.Add(-3*time.Hour), 0))
	want(s, chat, "IN1", "IN3", "IN2")
	receive(direct(alice, "P4"), pinAt(alice, "IN1", waE2E.PinInChatMessage_UNPIN_FOR_ALL, t0.Add(-time.Minute), 0))
	want(s, chat, "IN3", "IN2")

	// Pins run out: one of a day made two days ago, one saying no
	// length (7 days) made eight days ago; one saying none made six days
	// ago stands, the oldest pin.
	receive(direct(alice, "P5"), pinAt(alice, "OLD1", waE2E.PinInChatMessage_PIN_FOR_ALL, t0.Add(-48*time.Hour), 86400))
	receive(direct(alice, "P6"), pinAt(alice, "OLD2", waE2E.PinInChatMessage_PIN_FOR_ALL, t0.Add(-8*24*time.Hour), 0))
	receive(direct(alice, "P7"), pinAt(alice, "OLD3", waE2E.PinInChatMessage_PIN_FOR_ALL, t0.Add(-6*24*time.Hour), 0))
	want(s, chat, "OLD3", "IN3", "IN2")

	// The user unpins IN3 from XMPP; a fourth pin pushes out the oldest.
	if err := pinCall(s, chat, "tx2", "IN3", msgMeta{Sender: alice}, true); err != nil {
		t.Fatal(err)
	}
	want(s, chat, "OLD3", "IN2")
	// A pin claiming longer than the apps offer (30 days) lasts 30 days.
	receive(direct(alice, "P7b"), pinAt(alice, "OLD4", waE2E.PinInChatMessage_PIN_FOR_ALL, t0.Add(-31*24*time.Hour), math.MaxUint32))
	want(s, chat, "OLD3", "IN2")
	receive(direct(alice, "P8"), pinAt(alice, "IN4", waE2E.PinInChatMessage_PIN_FOR_ALL, t0.Add(time.Minute), 2592000))
	receive(direct(alice, "P9"), pinAt(alice, "IN5", waE2E.PinInChatMessage_PIN_FOR_ALL, t0.Add(2*time.Minute), 2592000))
	want(s, chat, "IN2", "IN4", "IN5")

	// Alice deletes IN4 for everyone: its pin goes with it (OLD3, pushed
	// out, stays out).
	n := r.host.count()
	fake.Receive(ctx, new(direct(alice, "DEL1")), &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_REVOKE.Enum(), Key: key(alice, "IN4", false)}})
	r.host.next(t, n, func(ev *pb.Event) bool { return ev.GetRetraction().GetTargetId() == "IN4" })
	want(s, chat, "IN2", "IN5")
	// The user pins their own OUT1, then deletes it from XMPP: gone too.
	if err := pinCall(s, chat, "tx3", "OUT1", msgMeta{Sender: me, FromMe: true}, false); err != nil {
		t.Fatal(err)
	}
	// IN5 came before OUT1: its time a minute ahead counts as when it
	// came (TestChatInfoPinsClockAhead).
	want(s, chat, "IN2", "IN5", "OUT1")
	if _, err := s.Retract(ctx, sdk.Call{ChatID: chat, TxnID: "tx4"}, &pb.Retract{TargetId: "OUT1", TargetMeta: msgMeta{Sender: me, FromMe: true}.encode()}); err != nil {
		t.Fatal(err)
	}
	want(s, chat, "IN2", "IN5")

	// A group's pins are its own.
	fake.SetGroup(&types.GroupInfo{JID: group, Participants: []types.GroupParticipant{{JID: me}, {JID: bob}}})
	receive(inGroup(bob, "GP1"), pinAt(group, "G1", waE2E.PinInChatMessage_PIN_FOR_ALL, t0, 86400))
	want(s, group.String(), "G1")
	want(s, "+33622222222")
	s.Disconnect(ctx)

	r2 := newRig(t, "")
	s2, fake2 := r2.load(t, info)
	fake2.SetGroup(&types.GroupInfo{JID: group, Participants: []types.GroupParticipant{{JID: me}, {JID: bob}}})
	want(s2, chat, "IN2", "IN5")
	want(s2, group.String(), "G1")
}

// With WhatsApp out of reach (the fake disconnected: its group query
// fails as whatsmeow's does, ErrNotConnected), ChatInfo of a group the
// user is in answers from what the plugin keeps rather than an error
// ("/pins" and "/timer" answer offline): the group's last known name and
// members, its timer as last changed, the messages pinned in it. A group
// the user is not in as last known, one never seen, and one WhatsApp
// said was gone before (NOT_FOUND then) stay errors (UNAVAILABLE).
// Connected but unanswered, the answer is what is kept, in time.
// (Before: every group's ChatInfo failed offline, UNAVAILABLE; and
// unanswered, it came only when the caller gave up.)
func TestChatInfoPinsOffline(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	t0 := time.Now().Truncate(time.Millisecond)
	g2 := types.NewJID("120363000000000002", types.GroupServer)
	gone := types.NewJID("120363000000000004", types.GroupServer)
	never := types.NewJID("120363000000000005", types.GroupServer)
	fake.SetGroup(&types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "Hikers"},
		Participants:   []types.GroupParticipant{{JID: me}, {JID: bob, IsAdmin: true}},
		GroupEphemeral: types.GroupEphemeral{IsEphemeral: true, DisappearingTimer: 86400}})
	fake.SetGroup(&types.GroupInfo{JID: g2, GroupName: types.GroupName{Name: "Not mine"}, Participants: []types.GroupParticipant{{JID: bob}}})
	fake.SetGroup(&types.GroupInfo{JID: gone, GroupName: types.GroupName{Name: "Gone"}, Participants: []types.GroupParticipant{{JID: me}, {JID: bob}}})
	if _, err := s.ChatList(ctx); err != nil { // the host's, at the start
		t.Fatal(err)
	}
	n := r.host.count()
	fake.Receive(ctx, new(inGroup(bob, "GP1")), pinAt(group, "G1", waE2E.PinInChatMessage_PIN_FOR_ALL, t0, 86400))
	r.host.next(t, n, func(ev *pb.Event) bool { return ev.EventId == "GP1" })
	// WhatsApp says the group is gone (deleted, or the user removed):
	// a refusal, not to be answered from what the plugin kept.
	if err := fake.LeaveGroup(ctx, gone); err != nil {
		t.Fatal(err)
	}
	if c, err := s.ChatInfo(ctx, gone.String()); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("ChatInfo of a group WhatsApp says is gone: %v, %v; want NOT_FOUND", c, err)
	}

	fake.Disconnect()
	c, err := s.ChatInfo(ctx, group.String())
	if err != nil {
		t.Fatalf("ChatInfo offline: %v", err)
	}
	if c.ChatId != group.String() || c.Type != pb.ChatType_CHAT_TYPE_GROUP || c.Name != "Hikers" {
		t.Errorf("offline: %v, want the group as last known", c)
	}
	var self, admin bool
	for _, m := range c.Members {
		self = self || m.IsSelf
		admin = admin || m.UserId == "+33622222222" && m.Affiliation == pb.Affiliation_AFFILIATION_ADMIN
	}
	if len(c.Members) != 2 || !self || !admin {
		t.Errorf("offline members: %v, want the user and Bob (admin)", c.Members)
	}
	if c.GetTimer().GetSeconds() != 86400 || c.Timer == nil {
		t.Errorf("offline timer: %v, want a day", c.Timer)
	}
	if !slices.Equal(c.PinnedIds, []string{"G1"}) {
		t.Errorf("offline pins: %q, want G1", c.PinnedIds)
	}
	// Bob turns the timer off (while the plugin could hear it): the
	// timer as last changed.
	fake.Connect()
	n = r.host.count()
	fake.Receive(ctx, new(inGroup(bob, "T0")), timerMessage(0, time.Now()))
	r.host.next(t, n, func(ev *pb.Event) bool { return ev.GetMessage().GetText() == "Disappearing messages turned off" })
	fake.Disconnect()
	if got := timerOf(t, s, group.String()); got != 0 {
		t.Errorf("offline timer after Bob turned it off: %d, want 0", got)
	}

	for _, j := range []types.JID{g2, gone, never} {
		if c, err := s.ChatInfo(ctx, j.String()); codeOf(err) != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
			t.Errorf("ChatInfo offline of %s, a group the user is in as last known: %v, %v; want UNAVAILABLE", j, c, err)
		}
	}

	// Connected, but WhatsApp does not answer (whatsmeow's IQ would wait
	// 75 s): what is kept answers once groupReadWait passed, before the
	// caller gives up.
	shortGroupReadWait(t)
	fake.Connect()
	fake.SetSilent(true)
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	start := time.Now()
	c, err = s.ChatInfo(cctx, group.String())
	if took := time.Since(start); err != nil || c.Name != "Hikers" || !slices.Equal(c.PinnedIds, []string{"G1"}) || took > 2*time.Second {
		t.Errorf("ChatInfo with WhatsApp silent: %v, %v after %v; want the group as last known within about %v", c, err, took, groupReadWait())
	}
}

// WhatsApp refusing a community's query (NOT_FOUND) forgets nothing of
// the community: its groups, described offline from what the plugin
// keeps, are still named after it. (Before the refusal forgot only
// groups: "Gardening".)
func TestChatInfoOfflineCommunityKept(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	setCommunity(t, fake)
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	if err := fake.LeaveGroup(ctx, community); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChatInfo(ctx, community.String()); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Fatalf("ChatInfo of the community WhatsApp refuses: %v, want NOT_FOUND", err)
	}
	fake.Disconnect()
	if c, err := s.ChatInfo(ctx, garden.String()); err != nil || c.Name != "Village › Gardening" {
		t.Errorf("ChatInfo offline of the community's group: %v, %v; want it named after the community", c, err)
	}
}

// Pins in history count as live ones: a pin kept as a message, and the
// line WhatsApp Web keeps for one (its length beside it), are pinned; a
// history unpin older than a live pin changes nothing, and one of a pin
// run out is not listed. (Before: history's pins were shown, not kept.)
func TestChatInfoPinsHistory(t *testing.T) {
	r := newRig(t, `{"history_days": 30}`)
	s, fake := r.connected(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	// A live pin of G2 by Bob, before the history's older unpin of it.
	n := r.host.count()
	fake.Receive(ctx, new(inGroup(bob, "LP1")), pinAt(group, "G2", waE2E.PinInChatMessage_PIN_FOR_ALL, now.Add(-time.Minute), 86400))
	r.host.next(t, n, func(ev *pb.Event) bool { return ev.EventId == "LP1" })

	stub := func(id, target string, typ waWeb.PinInChat_Type, at time.Time, secs uint32) *waHistorySync.HistorySyncMsg {
		return &waHistorySync.HistorySyncMsg{Message: &waWeb.WebMessageInfo{
			Key:              &waCommon.MessageKey{RemoteJID: proto.String(group.String()), ID: proto.String(id), FromMe: proto.Bool(false), Participant: proto.String(bob.String())},
			MessageTimestamp: proto.Uint64(uint64(at.Unix())),
			MessageStubType:  waWeb.WebMessageInfo_PINNED_MESSAGE_IN_CHAT.Enum(),
			PinInChat: &waWeb.PinInChat{Type: typ.Enum(), SenderTimestampMS: proto.Int64(at.UnixMilli()),
				Key:                     &waCommon.MessageKey{RemoteJID: proto.String(group.String()), ID: proto.String(target), Participant: proto.String(alice.String())},
				MessageAddOnContextInfo: &waWeb.MessageAddOnContextInfo{MessageAddOnDurationInSecs: proto.Uint32(secs)}},
		}}
	}
	fake.History(ctx, &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_INITIAL_BOOTSTRAP.Enum(),
		Conversations: []*waHistorySync.Conversation{
			{ID: proto.String(alice.String()), Messages: []*waHistorySync.HistorySyncMsg{
				historyMsg(alice, "HP1", now.Add(-time.Hour), pinAt(alice, "H1", waE2E.PinInChatMessage_PIN_FOR_ALL, now.Add(-time.Hour), 86400)),
				historyMsg(alice, "H1", now.Add(-2*time.Hour), &waE2E.Message{Conversation: proto.String("pinned")}),
			}},
			{ID: proto.String(group.String()), Messages: []*waHistorySync.HistorySyncMsg{
				stub("HS1", "G1", waWeb.PinInChat_PIN_FOR_ALL, now.Add(-3*time.Hour), 2592000),
				stub("HS2", "G2", waWeb.PinInChat_UNPIN_FOR_ALL, now.Add(-2*time.Hour), 0),
				stub("HS3", "G3", waWeb.PinInChat_PIN_FOR_ALL, now.Add(-26*time.Hour), 86400),
			}},
		}})
	r.host.waitHistory(t, 2)
	fake.SetGroup(&types.GroupInfo{JID: group, Participants: []types.GroupParticipant{{JID: me}, {JID: bob}}})
	if got := pinsOf(t, s, "+33611111111"); !slices.Equal(got, []string{"H1"}) {
		t.Errorf("Alice's chat: %q, want H1", got)
	}
	if got := pinsOf(t, s, group.String()); !slices.Equal(got, []string{"G1", "G2"}) {
		t.Errorf("the group: %q, want G1 and G2", got)
	}
}

// A contact known by LID only pins in their chat ("lid-<LID>"); once
// their number is known, the chat's pins are under it, as its timer.
// (Fails with pinStore.moved left out of identityMoved.)
func TestChatInfoPinsLIDMoved(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	at := time.Now()
	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: strangerL, Sender: strangerL}, ID: "LP1", Timestamp: at},
		pinAt(strangerL, "L0", waE2E.PinInChatMessage_PIN_FOR_ALL, at, 86400))
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "LP1" })
	if got := pinsOf(t, s, "lid-444555666"); !slices.Equal(got, []string{"L0"}) {
		t.Fatalf("the LID's chat: %q, want L0", got)
	}

	carol := types.NewJID("33633333333", types.DefaultUserServer)
	from = r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: strangerL, Sender: strangerL, SenderAlt: carol, AddressingMode: types.AddressingModeLID},
		ID: "L2", Timestamp: at}, &waE2E.Message{Conversation: proto.String("by phone")})
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if got := pinsOf(t, s, "+33633333333"); !slices.Equal(got, []string{"L0"}) {
		t.Errorf("the chat under the number: %q, want L0", got)
	}
}

// A pin whose sender's clock runs ahead (a phone set a day late, or a
// hostile sender's year 2100) counts as made when it came, not when it
// says: Alice's unpin a moment later takes it off, and what is kept of
// it does not outlive the usual month. (Before: the pin's future time
// outdid every unpin until then, so "/pins" listed it, and the mark of
// a pin pushed out stayed in pins.json for good.)
func TestChatInfoPinsClockAhead(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	fake.SetGroup(&types.GroupInfo{JID: group, Participants: []types.GroupParticipant{{JID: me}, {JID: bob}, {JID: alice}}})
	receive := func(info types.MessageInfo, msg *waE2E.Message) {
		t.Helper()
		n := r.host.count()
		fake.Receive(ctx, &info, msg)
		r.host.next(t, n, func(ev *pb.Event) bool { return ev.EventId == info.ID })
	}
	receive(inGroup(bob, "FP1"), pinAt(group, "G1", waE2E.PinInChatMessage_PIN_FOR_ALL, time.Now().Add(24*time.Hour), 2592000))
	receive(inGroup(alice, "FP2"), pinAt(group, "G1", waE2E.PinInChatMessage_UNPIN_FOR_ALL, time.Now(), 0))
	if got := pinsOf(t, s, group.String()); len(got) != 0 {
		t.Errorf("pinned after Alice's unpin: %q, want none", got)
	}

	// A pin said made in 2100, pushed out by three others: what is kept
	// of it goes once a month has passed.
	receive(inGroup(bob, "FP3"), pinAt(group, "G2", waE2E.PinInChatMessage_PIN_FOR_ALL, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), 86400))
	for i, id := range []string{"G3", "G4", "G5"} {
		receive(inGroup(alice, "FP"+strconv.Itoa(4+i)), pinAt(group, id, waE2E.PinInChatMessage_PIN_FOR_ALL, time.Now(), 86400))
	}
	if got := pinsOf(t, s, group.String()); !slices.Equal(got, []string{"G3", "G4", "G5"}) {
		t.Errorf("pinned: %q, want G3, G4, G5", got)
	}
	later := time.Now().Add(pinLongest + 48*time.Hour)
	s.pins.mu.Lock()
	s.pins.pruneLocked(later)
	kept := len(s.pins.chats[group.String()])
	s.pins.mu.Unlock()
	if kept != 0 {
		t.Errorf("%d marks kept after a month and more, want none", kept)
	}
}

// A contact's chat pinned in under their LID and under their number (two
// each) is one chat once the number is known: three pins, as WhatsApp
// keeps, the oldest pushed out. (Before: the move kept all four.)
func TestChatInfoPinsLIDMovedCap(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	carol := types.NewJID("33633333333", types.DefaultUserServer)
	t0 := time.Now().Add(-time.Hour)
	for i, p := range []struct {
		chat   types.JID
		target string
	}{{strangerL, "A"}, {strangerL, "B"}, {carol, "C"}, {carol, "D"}} {
		id := "MP" + strconv.Itoa(i)
		from := r.host.count()
		fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: p.chat, Sender: p.chat}, ID: types.MessageID(id), Timestamp: t0},
			pinAt(p.chat, p.target, waE2E.PinInChatMessage_PIN_FOR_ALL, t0.Add(time.Duration(i)*time.Minute), 86400))
		r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == id })
	}
	if got := pinsOf(t, s, "lid-444555666"); !slices.Equal(got, []string{"A", "B"}) {
		t.Fatalf("the LID's chat: %q, want A, B", got)
	}
	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: strangerL, Sender: strangerL, SenderAlt: carol, AddressingMode: types.AddressingModeLID},
		ID: "L2", Timestamp: time.Now()}, &waE2E.Message{Conversation: proto.String("by phone")})
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if got := pinsOf(t, s, "+33633333333"); !slices.Equal(got, []string{"B", "C", "D"}) {
		t.Errorf("the chat under the number: %q, want B, C, D", got)
	}
}
