package signal_test

import (
	"slices"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Two people's messages of one millisecond stay apart in the plugin's
// own records too, across a restart: each one's chat (a read on the
// phone of carol's lands in her group, not in bob's direct chat), each
// one's author (carol deletes hers: not taken for a forgery of bob's),
// the user's reaction on each (removing the one on bob's names bob's
// emoji) and the pins (both pinned, both listed).
func TestSameMillisecondRecordsApart(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, Message: fakesignal.Text("bob, directly")}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, Message: fakesignal.Text("carol, in the group"), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}}})
	bobs := s.next(isText("bob, directly"))
	carols := s.next(isText("carol, in the group"))

	if res := s.do(bob, &pb.React{TargetId: bobs.EventId, TargetMeta: bobs.Meta, Emojis: []string{"🎉"}}); res.Error != nil {
		t.Fatal(res.Error)
	}
	if res := s.do(group, &pb.React{TargetId: carols.EventId, TargetMeta: carols.Meta, Emojis: []string{"👍"}}); res.Error != nil {
		t.Fatal(res.Error)
	}
	for _, pin := range []struct {
		chat string
		ev   *pb.Event
	}{{bob, bobs}, {group, carols}} {
		if res := s.do(pin.chat, &pb.Pin{TargetId: pin.ev.EventId, TargetMeta: pin.ev.Meta}); res.Error != nil {
			t.Fatal(res.Error)
		}
	}
	s.crash()

	// Read on the phone: carol's message, in the group.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{ReadMessages: []fakesignal.ReadMessage{
		{SenderNumber: carol, SenderUUID: carolACI, Timestamp: at}}}})
	ev := s.next(func(ev *pb.Event) bool { return ev.GetReceipt() != nil })
	if ev.ChatId != group || !slices.Equal(ev.GetReceipt().MessageIds, []string{carols.EventId}) {
		t.Errorf("read of carol's message: %v in %s, want %s in the group", ev.GetReceipt().MessageIds, ev.ChatId, carols.EventId)
	}
	// The user takes the reaction off bob's message: 🎉 is named.
	if res := s.do(bob, &pb.React{TargetId: bobs.EventId, TargetMeta: bobs.Meta}); res.Error != nil {
		t.Fatal(res.Error)
	}
	if req, ok := lastRequest(d, "sendReaction"); !ok || req.Params["remove"] != true || req.Params["emoji"] != "🎉" || req.Params["targetAuthor"] != bob {
		t.Errorf("removal of the reaction on bob's message: %v, want 🎉 removed", req.Params)
	}
	if got := s.chatInfo(bob).PinnedIds; !slices.Equal(got, []string{bobs.EventId}) {
		t.Errorf("bob's chat's pins %v, want %s", got, bobs.EventId)
	}
	if got := s.chatInfo(group).PinnedIds; !slices.Equal(got, []string{carols.EventId}) {
		t.Errorf("the group's pins %v, want %s", got, carols.EventId)
	}
	// Carol deletes her message: hers, not bob's.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, DataMessage: &fakesignal.DataMessage{
		GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}, RemoteDelete: &fakesignal.RemoteDelete{Timestamp: at}}})
	marker := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: marker, DataMessage: &fakesignal.DataMessage{
		Timestamp: marker, Message: fakesignal.Text("after the delete")}})
	var deleted bool
	s.next(func(ev *pb.Event) bool {
		if r := ev.GetRetraction(); r != nil {
			deleted = r.TargetId == carols.EventId && ev.ChatId == group
		}
		return ev.GetMessage().GetText() == "after the delete"
	})
	if !deleted {
		t.Error("carol's deletion of her message was dropped")
	}
	if got := s.chatInfo(group).PinnedIds; len(got) != 0 {
		t.Errorf("the group's pins after the deletion: %v, want none", got)
	}
}
