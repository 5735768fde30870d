package signal_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// editEvent waits for the edit event made at ts (Unix ms).
func (s *session) editEvent(ts int64) *pb.Event {
	s.t.Helper()
	return s.next(func(ev *pb.Event) bool { return ev.GetEdit() != nil && ev.TimestampUnixMicro == ts*1000 })
}

// receiptNaming delivers a receipt of carol naming ts and returns the
// receipt event it makes, whatever IDs it names.
func (s *session) receiptNaming(ts int64) *pb.Event {
	s.t.Helper()
	at := s.d.Now()
	s.d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, Timestamp: at,
		ReceiptMessage: &fakesignal.ReceiptMessage{IsDelivery: true, Timestamps: []int64{ts}}})
	return s.next(func(ev *pb.Event) bool { return ev.GetReceipt() != nil && ev.TimestampUnixMicro == at*1000 })
}

// reactionFrom delivers carol's reaction in the group naming the message
// of timestamp target and returns the reaction event it makes.
func (s *session) reactionFrom(gid string, target int64, author, authorACI string) *pb.Event {
	s.t.Helper()
	at := s.d.Now()
	s.d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{Timestamp: at,
		Reaction:  &fakesignal.Reaction{Emoji: "🎉", TargetAuthorNumber: author, TargetAuthorUUID: authorACI, TargetSentTimestamp: target},
		GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}}})
	return s.next(func(ev *pb.Event) bool { return ev.GetReaction() != nil && ev.TimestampUnixMicro == at*1000 })
}

func wantTarget(t *testing.T, what, got, chat, wantChat string, orig int64) {
	t.Helper()
	if stamp(got) != itoa(orig) || chat != wantChat {
		t.Fatalf("%s: target %s in %s, want the original %d in %s", what, got, chat, orig, wantChat)
	}
}

// An edit is a message of its own timestamp, and Signal's apps name the
// newest edit in receipts, reactions, quotes and the next edit: each
// resolves to the chat of the message and to the original's ID, the one
// the gateway knows, for edits received, sent from XMPP and sent from
// the phone, after a restart too.
func TestEditTimestamps(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	inGroup := &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}

	// Bob's group message, edited twice (the second edit names the first).
	orig := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: orig, DataMessage: &fakesignal.DataMessage{
		Timestamp: orig, Message: fakesignal.Text("bob's first"), GroupInfo: inGroup}})
	s.next(isText("bob's first"))
	edit1 := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: edit1, EditMessage: &fakesignal.EditMessage{
		TargetSentTimestamp: orig, DataMessage: fakesignal.DataMessage{Timestamp: edit1, Message: fakesignal.Text("bob's second"), GroupInfo: inGroup}}})
	ev := s.editEvent(edit1)
	wantTarget(t, "first edit", ev.GetEdit().TargetId, ev.ChatId, group, orig)
	edit2 := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: edit2, EditMessage: &fakesignal.EditMessage{
		TargetSentTimestamp: edit1, DataMessage: fakesignal.DataMessage{Timestamp: edit2, Message: fakesignal.Text("bob's third"), GroupInfo: inGroup}}})
	ev = s.editEvent(edit2)
	wantTarget(t, "edit of the edit", ev.GetEdit().TargetId, ev.ChatId, group, orig)
	ev = s.reactionFrom(gid, edit2, bob, bobACI)
	wantTarget(t, "reaction to the newest edit", ev.GetReaction().TargetId, ev.ChatId, group, orig)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("quoting the edit"), GroupInfo: inGroup, Quote: &fakesignal.Quote{ID: edit2, AuthorNumber: bob, AuthorUUID: bobACI}}})
	ev = s.next(isText("quoting the edit"))
	wantTarget(t, "reply to the newest edit", ev.GetMessage().ReplyToId, ev.ChatId, group, orig)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{ReadMessages: []fakesignal.ReadMessage{
		{SenderNumber: bob, SenderUUID: bobACI, Timestamp: edit2}}}})
	ev = s.next(isReceiptOf(orig))
	if !ev.Sender.GetIsFromMe() {
		t.Fatalf("read sync: %v", ev)
	}
	wantReceiptIn(t, ev, group, orig)

	// Alice's group message, edited from XMPP twice: the second edit
	// names the first, as Signal's apps do.
	mine := s.sendToGroup(group, "mine")
	res := s.do(group, &pb.EditMessage{TargetId: itoa(mine), Text: "mine, edited"})
	if res.Error != nil || res.MessageId != itoa(mine) {
		t.Fatalf("edit: %v", res)
	}
	req, _ := lastRequest(d, "send")
	if req.Params["editTimestamp"] != float64(mine) {
		t.Fatalf("first edit request: %v", req.Params)
	}
	myEdit1 := req.Timestamp
	if res := s.do(group, &pb.EditMessage{TargetId: itoa(mine), Text: "mine, edited again"}); res.Error != nil || res.MessageId != itoa(mine) {
		t.Fatalf("second edit: %v", res)
	}
	req, _ = lastRequest(d, "send")
	if req.Params["editTimestamp"] != float64(myEdit1) {
		t.Fatalf("second edit request names %v, want the first edit %d", req.Params["editTimestamp"], myEdit1)
	}
	myEdit2 := req.Timestamp
	wantReceiptIn(t, s.receiptNaming(myEdit2), group, mine)
	ev = s.reactionFrom(gid, myEdit2, alice, aliceACI)
	wantTarget(t, "reaction to my edit", ev.GetReaction().TargetId, ev.ChatId, group, mine)

	// Alice's group message, edited on the phone.
	fromPhone := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SourceDevice: 1, Timestamp: fromPhone, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DataMessage: fakesignal.DataMessage{Timestamp: fromPhone, Message: fakesignal.Text("from my phone"), GroupInfo: inGroup}}}})
	s.next(isText("from my phone"))
	phoneEdit := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SourceDevice: 1, Timestamp: phoneEdit, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{EditMessage: &fakesignal.EditMessage{TargetSentTimestamp: fromPhone,
			DataMessage: fakesignal.DataMessage{Timestamp: phoneEdit, Message: fakesignal.Text("from my phone, edited"), GroupInfo: inGroup}}}}})
	ev = s.editEvent(phoneEdit)
	if !ev.Sender.GetIsFromMe() {
		t.Fatalf("edit from the phone: %v", ev)
	}
	wantTarget(t, "edit from the phone", ev.GetEdit().TargetId, ev.ChatId, group, fromPhone)
	wantReceiptIn(t, s.receiptNaming(phoneEdit), group, fromPhone)

	// A receipt naming a message and its edit names the message once.
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, Timestamp: at,
		ReceiptMessage: &fakesignal.ReceiptMessage{IsRead: true, Timestamps: []int64{mine, myEdit1, myEdit2}}})
	ev = s.next(func(ev *pb.Event) bool { return ev.GetReceipt() != nil && ev.TimestampUnixMicro == at*1000 })
	wantReceiptIn(t, ev, group, mine)

	// The map outlives the plugin.
	s.crash()
	wantReceiptIn(t, s.receiptNaming(myEdit2), group, mine)
	wantReceiptIn(t, s.receiptNaming(phoneEdit), group, fromPhone)
	ev = s.reactionFrom(gid, edit2, bob, bobACI)
	wantTarget(t, "reaction to bob's edit after a restart", ev.GetReaction().TargetId, ev.ChatId, group, orig)
	if res := s.do(group, &pb.EditMessage{TargetId: itoa(mine), Text: "after the restart"}); res.Error != nil {
		t.Fatal(res.Error)
	}
	if req, _ := lastRequest(d, "send"); req.Params["editTimestamp"] != float64(myEdit2) {
		t.Fatalf("edit after a restart names %v, want the newest edit %d", req.Params["editTimestamp"], myEdit2)
	}
}

// The read receipt of an edited message names the original and its
// newest edit, either of which the sender's app may show.
func TestMarkReadEdited(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	orig := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: orig, DataMessage: &fakesignal.DataMessage{
		Timestamp: orig, Message: fakesignal.Text("to edit")}})
	msg := s.next(isText("to edit"))
	edit := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: edit, EditMessage: &fakesignal.EditMessage{
		TargetSentTimestamp: orig, DataMessage: fakesignal.DataMessage{Timestamp: edit, Message: fakesignal.Text("edited")}}})
	s.editEvent(edit)
	if res := s.do(bob, &pb.MarkRead{UpToId: msg.EventId, UpToMeta: msg.Meta}); res.Error != nil {
		t.Fatal(res.Error)
	}
	req, ok := lastRequest(d, "sendReceipt")
	var got []int64
	for _, v := range req.Params["targetTimestamp"].([]any) {
		got = append(got, int64(v.(float64)))
	}
	if !ok || req.Params["recipient"] != bob || !slices.Equal(got, []int64{orig, edit}) {
		t.Fatalf("read receipt: %v, want it for %d and %d", req.Params, orig, edit)
	}
}

// A contact's edit of a message the plugin never had (sent before the
// gateway's device was linked: Signal gives it no history) has nothing
// to correct: the gateway drops a correction of a message it does not
// know, so the new text was lost. It comes as a message of its own,
// saying it is an edit, and the next edit (naming the first, as
// Signal's apps do, or the original) corrects that message.
func TestEditOfUnknownMessageShown(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	orig := d.Now() // never delivered
	edit1 := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: edit1, EditMessage: &fakesignal.EditMessage{
		TargetSentTimestamp: orig, DataMessage: fakesignal.DataMessage{Timestamp: edit1, Message: fakesignal.Text("see you at 8, not 7")}}})
	ev := s.next(func(ev *pb.Event) bool { return ev.GetEdit() != nil || ev.GetMessage() != nil })
	m := ev.GetMessage()
	if m == nil || !strings.Contains(m.Text, "see you at 8, not 7") || !strings.Contains(m.Text, "Edited") || ev.ChatId != bob || ev.EventId == "" {
		t.Fatalf("an edit of a message the gateway never had: %v, want a message in bob's chat with the new text, saying it is an edit", ev)
	}
	shown := ev.EventId
	for i, target := range []int64{edit1, orig} {
		ts := d.Now()
		text := fmt.Sprintf("see you at %d", 9+i)
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: ts, EditMessage: &fakesignal.EditMessage{
			TargetSentTimestamp: target, DataMessage: fakesignal.DataMessage{Timestamp: ts, Message: fakesignal.Text(text)}}})
		ev = s.next(func(ev *pb.Event) bool { return ev.GetEdit() != nil || ev.GetMessage() != nil })
		if ev.GetEdit() == nil || ev.GetEdit().TargetId != shown || !strings.Contains(ev.GetEdit().Text, text) {
			t.Fatalf("edit %d of it: %v, want a correction of the message shown (%s)", i+2, ev, shown)
		}
	}
}
