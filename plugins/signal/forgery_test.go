package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Signal applies a remote delete or an edit to the message of the same
// timestamp by the same author only: a group member naming another's
// message (anyone may put any timestamp in one) deletes or edits nothing
// on Signal, and so nothing in the room either (the gateway retracts
// from the room's archive whatever the retraction's sender). The author's
// own still go.
func TestDeleteAndEditOfAnothersMessage(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	inGroup := &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}
	carols := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, Timestamp: carols, DataMessage: &fakesignal.DataMessage{
		Timestamp: carols, Message: fakesignal.Text("carol's words"), GroupInfo: inGroup}})
	s.next(isText("carol's words"))
	mine := s.sendToGroup(group, "alice's words")

	// Bob deletes and edits carol's message and alice's, then says
	// something: nothing of theirs before it. First he sends a message
	// of carol's timestamp, to pass for its author: that names his own
	// message (a message is its timestamp and author), which his
	// delete and edit may name, never carol's.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: carols, DataMessage: &fakesignal.DataMessage{
		Timestamp: carols, Message: fakesignal.Text("bob's at carol's time"), GroupInfo: inGroup}})
	for _, target := range []int64{carols, mine} {
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
			RemoteDelete: &fakesignal.RemoteDelete{Timestamp: target}, GroupInfo: inGroup}})
		edit := d.Now()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: edit, EditMessage: &fakesignal.EditMessage{
			TargetSentTimestamp: target, DataMessage: fakesignal.DataMessage{Timestamp: edit, Message: fakesignal.Text("forged"), GroupInfo: inGroup}}})
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("bob's marker"), GroupInfo: inGroup}})
	s.next(func(ev *pb.Event) bool {
		if target := ev.GetRetraction().GetTargetId() + ev.GetEdit().GetTargetId(); target != "" && target != mid(carols, bobACI) {
			t.Errorf("bob's delete or edit of another's message was told: %v", ev)
		}
		return isText("bob's marker")(ev)
	})

	// Carol's own edit and delete go.
	edit := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, Timestamp: edit, EditMessage: &fakesignal.EditMessage{
		TargetSentTimestamp: carols, DataMessage: fakesignal.DataMessage{Timestamp: edit, Message: fakesignal.Text("carol's words, edited"), GroupInfo: inGroup}}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetEdit() != nil }); ev.GetEdit().TargetId != mid(carols, carolACI) {
		t.Fatalf("carol's edit: %v", ev)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, DataMessage: &fakesignal.DataMessage{
		RemoteDelete: &fakesignal.RemoteDelete{Timestamp: carols}, GroupInfo: inGroup}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetRetraction() != nil }); ev.GetRetraction().TargetId != mid(carols, carolACI) || ev.ChatId != group {
		t.Fatalf("carol's delete: %v", ev)
	}
}

// A receipt names timestamps only: one from bob naming the user's
// message to carol (in their direct chat) says nothing of it, as
// Signal's apps take a receipt only from whom the message went to.
func TestReceiptFromAnotherChat(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	res := s.do(carol, &pb.SendMessage{Text: "for carol only"})
	if res.Error != nil {
		t.Fatal(res.Error)
	}
	mine := atoi(t, res.MessageId)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, ReceiptMessage: &fakesignal.ReceiptMessage{IsRead: true, Timestamps: []int64{mine}}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("bob's marker")}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetReceipt() != nil || isText("bob's marker")(ev) }); !isText("bob's marker")(ev) {
		t.Fatalf("bob's receipt of the user's message to carol was told: %v", ev)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, ReceiptMessage: &fakesignal.ReceiptMessage{IsRead: true, Timestamps: []int64{mine}}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetReceipt() != nil }); ev.ChatId != carol || ev.GetReceipt().MessageIds[0] != mid(mine, alice) {
		t.Fatalf("carol's receipt: %v", ev)
	}
}
