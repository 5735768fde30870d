package signal_test

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A contact blocked on the phone leaves the contacts (the phone syncs
// its whole block list; signal-cli keeps it and drops what the blocked
// send), and one unblocked comes back, as the contact list has them.
// Before, the block list was not read: bob stayed in the roster
// blocked, and came back from nowhere only at the next connection.
func TestBlockedOnPhone(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	marker := func(text string) {
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text(text)}})
	}

	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{BlockedNumbers: []string{bob}}})
	marker("after the block")
	ev := s.next(func(ev *pb.Event) bool { return ev.GetContactRemoved() != nil || ev.GetMessage() != nil })
	if ev.GetContactRemoved().GetUserId() != bob {
		t.Fatalf("bob blocked on the phone: %v, want him out of the contacts", ev)
	}
	s.next(isText("after the block"))

	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{BlockedNumbers: []string{}}})
	marker("after the unblock")
	ev = s.next(func(ev *pb.Event) bool {
		return ev.GetContact().GetContact().GetUserId() == bob || ev.GetContactRemoved() != nil || ev.GetMessage() != nil
	})
	if c := ev.GetContact().GetContact(); c.GetUserId() != bob || c.Name != "Bob" {
		t.Fatalf("bob unblocked on the phone: %v, want him back in the contacts", ev)
	}
}

// A group blocked on the phone (its ID in the synced block list):
// signal-cli drops its messages, so its room would stay and go silent.
// It goes as a chat the user left, saying why, is not listed while
// blocked, and comes back once unblocked. Before, the block list's
// groups were not read: the room stayed, silent.
func TestGroupBlockedOnPhone(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{
		BlockedNumbers: []string{}, BlockedGroupIDs: []string{gid}}})
	ev := s.next(func(ev *pb.Event) bool { return ev.GetChatRemoved() != nil })
	if ev.ChatId != group || !strings.Contains(ev.GetChatRemoved().Text, "blocked") {
		t.Fatalf("the group blocked on the phone: %v, want its chat removed saying it is blocked", ev)
	}
	ctx, cancel := s.p.CallContext()
	defer cancel()
	chats, err := s.p.Client().ChatList(ctx, &pb.LoginRef{LoginId: s.loginID})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chats.GetChats() {
		if c.ChatId == group {
			t.Fatalf("ChatList lists the blocked group: %v", c)
		}
	}

	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{
		BlockedNumbers: []string{}, BlockedGroupIDs: []string{}}})
	ev = s.next(func(ev *pb.Event) bool { return ev.GetChat() != nil || ev.GetChatRemoved() != nil })
	if ev.ChatId != group || ev.GetChat() == nil || len(ev.GetChat().GetChat().GetMembers()) == 0 {
		t.Fatalf("the group unblocked on the phone: %v, want its chat back with its members", ev)
	}
}

// A group blocked on the phone is described by no ChatInfo, whether the
// plugin saw the block (the block list synced) or it was blocked before
// the plugin started: the answer says it is blocked and how to have it
// back, as its room's removal did, so that a join from a bookmark or
// "/pins" there does not bring back a room signal-cli keeps silent.
// Before, ChatInfo described it as any group.
func TestBlockedGroupChatInfo(t *testing.T) {
	d, gid := startFake(t)
	before := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: before, Name: "Blocked before", Blocked: true,
		Members: []fakesignal.Member{{Number: alice, UUID: aliceACI}, {Number: bob, UUID: bobACI}}})
	s := newSession(t, d)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{
		BlockedNumbers: []string{}, BlockedGroupIDs: []string{gid, before}}})
	s.next(func(ev *pb.Event) bool { return ev.GetChatRemoved() != nil && ev.ChatId == hexGroup(gid) })
	for _, id := range []string{gid, before} {
		ctx, cancel := s.p.CallContext()
		chat, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: hexGroup(id)})
		cancel()
		if e := sdk.FromGRPC(err); e == nil || e.Code != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(e.Text, "unblock it there") {
			t.Errorf("ChatInfo of a blocked group: %v, %v; want NOT_ALLOWED saying it is blocked", chat, err)
		}
	}
}

// Nothing goes to someone blocked on the phone, as Signal's apps let
// nothing be sent there (signal-cli would send it, and drop every
// answer): the user reads that they blocked them and how to undo it.
// Once unblocked, messages go again. Before, the message went, and the
// answers were dropped without a word.
func TestSendToBlockedRefused(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{BlockedNumbers: []string{bob}}})
	s.next(func(ev *pb.Event) bool { return ev.GetContactRemoved().GetUserId() == bob })
	wantRefused(t, "a message to bob, blocked", s.do(bob, &pb.SendMessage{Text: "still there?"}),
		pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "blocked", "unblock")
	if texts := sentTexts(d, bob); len(texts) != 0 {
		t.Fatalf("sent to bob while blocked: %q", texts)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{BlockedNumbers: []string{}}})
	s.next(func(ev *pb.Event) bool { return ev.GetContact().GetContact().GetUserId() == bob })
	if res := s.do(bob, &pb.SendMessage{Text: "welcome back"}); res.Error != nil {
		t.Fatalf("a message to bob, unblocked: %v", res.Error)
	}
}

// Nothing goes to a group blocked on the phone either, though a client
// kept its room: signal-cli would send it and drop what the group
// answers. The user reads that they blocked it and how to undo it; once
// unblocked, messages go again. Before, only a blocked contact was
// refused: the message went into the silent group.
func TestSendToBlockedGroupRefused(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{
		BlockedNumbers: []string{}, BlockedGroupIDs: []string{gid}}})
	s.next(func(ev *pb.Event) bool { return ev.GetChatRemoved() != nil && ev.ChatId == group })
	wantRefused(t, "a message to the blocked group", s.do(group, &pb.SendMessage{Text: "still there?"}),
		pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "blocked", "unblock")
	if texts := groupTexts(d, gid); len(texts) != 0 {
		t.Fatalf("sent to the group while blocked: %q", texts)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{
		BlockedNumbers: []string{}, BlockedGroupIDs: []string{}}})
	s.next(func(ev *pb.Event) bool { return ev.GetChat() != nil && ev.ChatId == group })
	if res := s.do(group, &pb.SendMessage{Text: "welcome back"}); res.Error != nil {
		t.Fatalf("a message to the group, unblocked: %v", res.Error)
	}
}

// groupTexts are the texts alice's account sent to the group gid.
func groupTexts(d *fakesignal.Daemon, gid string) []string {
	var out []string
	for _, r := range d.Requests(alice) {
		if r.Method == "send" && r.Params["groupId"] == gid {
			msg, _ := r.Params["message"].(string)
			out = append(out, msg)
		}
	}
	return out
}
