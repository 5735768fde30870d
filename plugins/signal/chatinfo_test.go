package signal_test

import (
	"math"
	"slices"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// chatInfo asks the plugin for ChatInfo of chat.
func (s *session) chatInfo(chat string) *pb.Chat {
	s.t.Helper()
	ctx, cancel := s.p.CallContext()
	defer cancel()
	c, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: chat})
	if err != nil {
		s.t.Fatalf("ChatInfo %s: %v", chat, err)
	}
	return c
}

// wantTimer checks the timer ChatInfo gives for chat.
func (s *session) wantTimer(chat string, secs int64) {
	s.t.Helper()
	if got := s.chatInfo(chat).Timer; got == nil || got.Seconds != secs {
		s.t.Errorf("ChatInfo %s: timer %v, want %d s", chat, got, secs)
	}
}

// A ChatInfo answer gives the chat's disappearing messages timer as
// signal-cli keeps it, a one-to-one chat's too ("/timer" alone): the
// contact's messageExpirationTime, the group's; 0 (off, not unset) for
// a chat without one or with someone not in the contacts; the timer set
// from XMPP or changed on the phone since.
func TestChatInfoTimer(t *testing.T) {
	d, gid := startFake(t)
	d.SetContacts(alice, fakesignal.Contact{Number: bob, UUID: bobACI, Name: "Bob", Timer: 3600},
		fakesignal.Contact{Number: carol, UUID: carolACI, Given: "Carol"})
	g, _ := d.GetGroup(alice, gid)
	g.Timer = 604800
	d.SetGroup(alice, g)
	s := newSession(t, d)
	group := hexGroup(gid)

	s.wantTimer(bob, 3600)
	s.wantTimer(carol, 0)
	s.wantTimer("+15550000009", 0) // no contact
	s.wantTimer(group, 604800)

	// Set from XMPP (updateContact, updateGroup).
	if r := s.do(carol, &pb.SetChatTimer{Seconds: 60}); r.Error != nil {
		t.Fatalf("set carol's timer: %v", r.Error)
	}
	if r := s.do(group, &pb.SetChatTimer{Seconds: 0}); r.Error != nil {
		t.Fatalf("turn the group's timer off: %v", r.Error)
	}
	s.wantTimer(carol, 60)
	s.wantTimer(group, 0)

	// Changed on the phone: bob's chat's timer comes with a message.
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, IsExpirationUpdate: true, ExpiresInSeconds: 300}})
	s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.TimestampUnixMicro == at*1000 })
	s.wantTimer(bob, 300)
}

// wantPinned checks the pins ChatInfo gives for chat, oldest pin first.
func (s *session) wantPinned(chat string, ts ...int64) {
	s.t.Helper()
	want := []string{}
	for _, t := range ts {
		want = append(want, itoa(t))
	}
	got := s.chatInfo(chat).PinnedIds
	if !slices.Equal(stamps(got), want) {
		s.t.Errorf("ChatInfo %s: pinned %v, want %v", chat, got, want)
	}
}

// A ChatInfo answer gives the messages pinned in the chat, oldest pin
// first, a one-to-one chat's too ("/pins"): those pinned on Signal (by
// anyone, the user's from the phone too) and from XMPP, by the message's
// ID as the gateway knows it (an edit's pin names its original), without
// those unpinned since, deleted for everyone or whose pin ran out; a pin
// again of a message pinned is the newest. Each chat has its own, and they outlive the
// plugin (SIGKILL).
func TestChatInfoPinned(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	inGroup := &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}
	fromBob := func(at int64, dm fakesignal.DataMessage) int64 {
		if at == 0 {
			at = d.Now()
		}
		dm.Timestamp = at
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &dm})
		s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.TimestampUnixMicro == at*1000 })
		return at
	}
	pinOf := func(ts, secs int64) *fakesignal.PinMessage {
		return &fakesignal.PinMessage{TargetAuthorNumber: bob, TargetAuthorUUID: bobACI, TargetSentTimestamp: ts, PinDurationSeconds: secs}
	}
	meta := func(author string, ts int64) []byte { return []byte(`{"a":"` + author + `","t":` + itoa(ts) + `}`) }

	s.wantPinned(bob)
	s.wantPinned(group)
	one := fromBob(0, fakesignal.DataMessage{Message: fakesignal.Text("one")})
	two := fromBob(0, fakesignal.DataMessage{Message: fakesignal.Text("two")})
	fromBob(0, fakesignal.DataMessage{PinMessage: pinOf(one, -1)})
	if r := s.do(bob, &pb.Pin{TargetId: itoa(two), TargetMeta: meta(bob, two)}); r.Error != nil {
		t.Fatalf("pin from XMPP: %v", r.Error)
	}
	s.wantPinned(bob, one, two)

	// Bob unpins one; the phone pins it again: the newest pin.
	fromBob(0, fakesignal.DataMessage{UnpinMessage: &fakesignal.UnpinMessage{TargetAuthorNumber: bob, TargetAuthorUUID: bobACI, TargetSentTimestamp: one}})
	s.wantPinned(bob, two)
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, Timestamp: at, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DestinationNumber: bob, DestinationUUID: bobACI, DataMessage: fakesignal.DataMessage{Timestamp: at,
			PinMessage: pinOf(one, 0)}}}})
	s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.TimestampUnixMicro == at*1000 })
	s.wantPinned(bob, two, one)

	// In the group: the user's message pinned from XMPP, bob's by carol
	// for a day, bob's edited one by the edit's timestamp, and one whose
	// pin of a second ran out long ago.
	mine := s.sendToGroup(group, "the plan")
	if r := s.do(group, &pb.Pin{TargetId: itoa(mine), TargetMeta: meta(alice, mine)}); r.Error != nil {
		t.Fatalf("pin in the group: %v", r.Error)
	}
	three := fromBob(0, fakesignal.DataMessage{Message: fakesignal.Text("three"), GroupInfo: inGroup})
	at = d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{Timestamp: at, GroupInfo: inGroup,
		PinMessage: pinOf(three, 86400)}})
	s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.TimestampUnixMicro == at*1000 })
	four := fromBob(0, fakesignal.DataMessage{Message: fakesignal.Text("four"), GroupInfo: inGroup})
	edit := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: edit, EditMessage: &fakesignal.EditMessage{
		TargetSentTimestamp: four, DataMessage: fakesignal.DataMessage{Timestamp: edit, Message: fakesignal.Text("four!"), GroupInfo: inGroup}}})
	s.editEvent(edit)
	fromBob(0, fakesignal.DataMessage{GroupInfo: inGroup, PinMessage: pinOf(edit, -1)})
	five := fromBob(0, fakesignal.DataMessage{Message: fakesignal.Text("five"), GroupInfo: inGroup})
	fromBob(time.Now().Add(-time.Hour).UnixMilli(), fakesignal.DataMessage{GroupInfo: inGroup, PinMessage: pinOf(five, 1)})
	s.wantPinned(group, mine, three, four)
	// A duration past any clock: pinned, as for ever.
	six := fromBob(0, fakesignal.DataMessage{Message: fakesignal.Text("six"), GroupInfo: inGroup})
	fromBob(0, fakesignal.DataMessage{GroupInfo: inGroup, PinMessage: pinOf(six, math.MaxInt64)})
	s.wantPinned(group, mine, three, four, six)
	fromBob(0, fakesignal.DataMessage{GroupInfo: inGroup, UnpinMessage: &fakesignal.UnpinMessage{TargetAuthorNumber: bob, TargetAuthorUUID: bobACI, TargetSentTimestamp: six}})
	s.wantPinned(group, mine, three, four)
	s.wantPinned(bob, two, one)

	// After a restart; then unpinned from XMPP.
	s.crash()
	s.wantPinned(bob, two, one)
	s.wantPinned(group, mine, three, four)
	if r := s.do(group, &pb.Pin{TargetId: itoa(three), TargetMeta: meta(bob, three), Unpin: true}); r.Error != nil {
		t.Fatalf("unpin from XMPP: %v", r.Error)
	}
	s.wantPinned(group, mine, four)
	// An unpin in another chat of a message of the same timestamp
	// leaves the pin.
	fromBob(0, fakesignal.DataMessage{UnpinMessage: &fakesignal.UnpinMessage{TargetAuthorNumber: bob, TargetAuthorUUID: bobACI, TargetSentTimestamp: mine}})
	s.wantPinned(group, mine, four)

	// A message deleted for everyone is pinned no more: bob's, the
	// user's from XMPP.
	at = d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{Timestamp: at,
		RemoteDelete: &fakesignal.RemoteDelete{Timestamp: two}}})
	s.next(func(ev *pb.Event) bool { return ev.GetRetraction() != nil && ev.TimestampUnixMicro == at*1000 })
	s.wantPinned(bob, one)
	if r := s.do(group, &pb.Retract{TargetId: itoa(mine), TargetMeta: meta(alice, mine)}); r.Error != nil {
		t.Fatalf("delete the user's message: %v", r.Error)
	}
	s.wantPinned(group, four)
}

// With signal-cli down (the fake daemon crashed), ChatInfo of a group
// the user is in answers at once from what the plugin keeps, asked
// with_pins as "/pins" asks: the pins of pinned.jsonl, the group as last
// read (name, members, link, timer); a direct chat's pins, its timer
// unset (not known). Back up, the group is read again;
// stuck on the read (its socket up), the answer is what is kept after
// a few seconds. (Before: the read waited SendWait, 20 s, for the
// daemon down, then failed UNAVAILABLE, a direct chat's answer came
// after 20 s; stuck, it waited until the caller gave up.)
func TestChatInfoPinnedDaemonDown(t *testing.T) {
	d, gid := startFake(t)
	const link = "https://signal.group/#CjQKIAb-c_9Z"
	g, _ := d.GetGroup(alice, gid)
	g.Timer, g.Link = 3600, link
	d.SetGroup(alice, g)
	s := newSession(t, d)
	group := hexGroup(gid)
	mine := s.sendToGroup(group, "the plan")
	if r := s.do(group, &pb.Pin{TargetId: itoa(mine), TargetMeta: []byte(`{"a":"` + alice + `","t":` + itoa(mine) + `}`)}); r.Error != nil {
		t.Fatalf("pin in the group: %v", r.Error)
	}
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{Timestamp: at,
		GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}, Message: fakesignal.Text("bob's")}})
	s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.TimestampUnixMicro == at*1000 })
	pin := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: pin, DataMessage: &fakesignal.DataMessage{Timestamp: pin,
		GroupInfo:  &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"},
		PinMessage: &fakesignal.PinMessage{TargetAuthorNumber: bob, TargetAuthorUUID: bobACI, TargetSentTimestamp: at, PinDurationSeconds: -1}}})
	s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.TimestampUnixMicro == pin*1000 })
	s.wantPinned(group, mine, at)
	// And bob's pin of his message in his chat with the user.
	direct := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: direct, DataMessage: &fakesignal.DataMessage{Timestamp: direct, Message: fakesignal.Text("just us")}})
	s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.TimestampUnixMicro == direct*1000 })
	pinDirect := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: pinDirect, DataMessage: &fakesignal.DataMessage{Timestamp: pinDirect,
		PinMessage: &fakesignal.PinMessage{TargetAuthorNumber: bob, TargetAuthorUUID: bobACI, TargetSentTimestamp: direct, PinDurationSeconds: -1}}})
	s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.TimestampUnixMicro == pinDirect*1000 })

	d.Crash()
	s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	start := time.Now()
	chat, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: group, WithPins: true})
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("ChatInfo with signal-cli down took %v: it waited for the daemon", took)
	}
	if err != nil {
		t.Fatalf("ChatInfo with signal-cli down: %v", err)
	}
	if chat.ChatId != group || chat.Type != pb.ChatType_CHAT_TYPE_GROUP || chat.Name != groupName || chat.Topic != "old friends" {
		t.Errorf("with signal-cli down: %v, want the group as last read", chat)
	}
	self := slices.ContainsFunc(chat.Members, func(m *pb.Member) bool { return m.IsSelf })
	if len(chat.Members) != 3 || !self {
		t.Errorf("members with signal-cli down: %v, want the user, bob and carol", chat.Members)
	}
	if chat.InviteLink != link || chat.GetTimer().GetSeconds() != 3600 {
		t.Errorf("with signal-cli down: link %q, timer %v; want %q, an hour", chat.InviteLink, chat.Timer, link)
	}
	if want := []string{itoa(mine), itoa(at)}; !slices.Equal(stamps(chat.PinnedIds), want) {
		t.Errorf("pinned with signal-cli down: %v, want %v", chat.PinnedIds, want)
	}
	// Bob's chat: its pins at once, its timer not known (unset).
	start = time.Now()
	chat, err = s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: bob, WithPins: true})
	if took := time.Since(start); err != nil || took > 5*time.Second || !slices.Equal(chat.PinnedIds, []string{mid(direct, bobACI)}) || chat.Timer != nil {
		t.Errorf("ChatInfo of bob's chat with signal-cli down: %v, %v after %v; want his pin, no timer, at once", chat, err, took)
	}

	// Back: read again (the name changed meanwhile).
	g.Name = "renamed"
	d.SetGroup(alice, g)
	if err := d.Restart(); err != nil {
		t.Fatal(err)
	}
	s.state(pb.LoginState_LOGIN_STATE_CONNECTED)
	if c := s.chatInfo(group); c.Name != "renamed" || !slices.Equal(c.PinnedIds, []string{mid(mine, alice), mid(at, bobACI)}) {
		t.Errorf("signal-cli back: %v, want the group read again", c)
	}

	// signal-cli up but stuck on the read: the answer comes from what is
	// kept once groupReadWait (5 s) passed, well before the host gives
	// up (30 s). (Before: none until the caller's deadline.)
	d.Stall("listGroups")
	start = time.Now()
	chat, err = s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: group, WithPins: true})
	if took := time.Since(start); err != nil || took > 15*time.Second || chat.Name != "renamed" || len(chat.PinnedIds) != 2 {
		t.Errorf("ChatInfo with signal-cli stuck: %v, %v after %v; want the group as last read and its pins within about 5 s", chat, err, took)
	}
}

// A contact known by ACI alone pins in their chat (the ACI's); once
// their number is known, the chat is the number's (the identity move),
// and its pins are there: "/pins" in the chat the gateway moved lists
// them, after a restart too. (Before: they stayed under the ACI, which
// the gateway no longer asks for.)
func TestChatInfoPinnedIdentityMoved(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	// An ACI as Signal gives one (daveACI is not hex: no chat ID).
	const erinACI, erinNum = "e0000000-0000-4000-8000-00000000000e", "+15550000014"
	fromErin := func(number string, dm fakesignal.DataMessage) int64 {
		at := d.Now()
		dm.Timestamp = at
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: number, SourceUUID: erinACI, SourceName: "Erin", Timestamp: at, DataMessage: &dm})
		s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.TimestampUnixMicro == at*1000 })
		return at
	}
	msg := fromErin("", fakesignal.DataMessage{Message: fakesignal.Text("number hidden")})
	fromErin("", fakesignal.DataMessage{PinMessage: &fakesignal.PinMessage{TargetAuthorUUID: erinACI, TargetSentTimestamp: msg, PinDurationSeconds: -1}})
	s.wantPinned(erinACI, msg)

	fromErin(erinNum, fakesignal.DataMessage{Message: fakesignal.Text("number shared")})
	s.wantPinned(erinNum, msg)
	s.crash()
	s.wantPinned(erinNum, msg)
}

// A pin names a message of its own chat: bob's pin, in his chat with the
// user, of the timestamp of the user's message in the group (pinned
// there) does not take the group's pin away, nor list a message of the
// group among his chat's pins. (Before: pins are kept by timestamp, and
// his pin replaced the group's.)
func TestChatInfoPinnedOtherChat(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	mine := s.sendToGroup(group, "the plan")
	if r := s.do(group, &pb.Pin{TargetId: itoa(mine), TargetMeta: []byte(`{"a":"` + alice + `","t":` + itoa(mine) + `}`)}); r.Error != nil {
		t.Fatalf("pin in the group: %v", r.Error)
	}
	s.wantPinned(group, mine)
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{Timestamp: at,
		PinMessage: &fakesignal.PinMessage{TargetAuthorNumber: alice, TargetAuthorUUID: aliceACI, TargetSentTimestamp: mine, PinDurationSeconds: -1}}})
	s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.TimestampUnixMicro == at*1000 })
	s.wantPinned(group, mine)
	s.wantPinned(bob)
}
