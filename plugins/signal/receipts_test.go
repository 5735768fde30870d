package signal_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// crash kills the plugin process (SIGKILL), unless it is gone already,
// and starts it again on the same folders, then connects the login again.
func (s *session) crash() {
	s.t.Helper()
	s.p.Restart() // a SIGKILL first, if it runs
	s.evs = s.p.Events()
	s.connect(s.saved)
	s.cmds = s.p.Commands()
}

// receiptFrom delivers a receipt of carol for ts and returns the receipt
// event it makes (events of the process before, not acknowledged, come
// again first).
func (s *session) receiptFrom(ts int64) *pb.Event {
	s.t.Helper()
	at := s.d.Now()
	s.d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, Timestamp: at,
		ReceiptMessage: &fakesignal.ReceiptMessage{IsDelivery: true, Timestamps: []int64{ts}}})
	return s.next(func(ev *pb.Event) bool { return isReceiptOf(ts)(ev) && ev.TimestampUnixMicro == at*1000 })
}

func isReceiptOf(ts int64) func(*pb.Event) bool {
	return func(ev *pb.Event) bool { return slices.Contains(stamps(ev.GetReceipt().GetMessageIds()), itoa(ts)) }
}

// sendToGroup sends a text into the group and returns its timestamp.
func (s *session) sendToGroup(group, text string) int64 {
	s.t.Helper()
	res := s.do(group, &pb.SendMessage{Text: text})
	if res.Error != nil {
		s.t.Fatal(res.Error)
	}
	return atoi(s.t, res.MessageId)
}

func wantReceiptIn(t *testing.T, ev *pb.Event, chat string, ts int64) {
	t.Helper()
	if ev.ChatId != chat || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || !slices.Equal(stamps(ev.GetReceipt().MessageIds), []string{itoa(ts)}) {
		t.Fatalf("receipt: %v, want it in the group %s for %d", ev, chat, ts)
	}
}

// Receipts name only timestamps: which chat a message is in outlives the
// plugin, so that a receipt coming after a crash for a message sent into
// a group (from XMPP, or from the phone) names the group, and so does a
// read sync of a group message received before.
func TestReceiptsAfterRestart(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)

	sent := s.sendToGroup(group, "to the group")
	fromPhone := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SourceDevice: 1, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DataMessage: fakesignal.DataMessage{Timestamp: fromPhone, Message: fakesignal.Text("from my phone"),
			GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}}}}})
	s.next(isText("from my phone"))
	fromBob := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: fromBob, DataMessage: &fakesignal.DataMessage{
		Timestamp: fromBob, Message: fakesignal.Text("bob in the group"), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}}})
	s.next(isText("bob in the group"))

	s.crash()

	wantReceiptIn(t, s.receiptFrom(sent), group, sent)
	wantReceiptIn(t, s.receiptFrom(fromPhone), group, fromPhone)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{ReadMessages: []fakesignal.ReadMessage{
		{SenderNumber: bob, SenderUUID: bobACI, Timestamp: fromBob}}}})
	ev := s.next(isReceiptOf(fromBob))
	if !ev.Sender.GetIsFromMe() {
		t.Fatalf("read sync: %v", ev)
	}
	wantReceiptIn(t, ev, group, fromBob)

	// A message of no known chat is still its sender's direct chat's.
	if ev := s.receiptFrom(12345); ev.ChatId != carol {
		t.Fatalf("receipt of an unknown message: %v, want it in carol's chat", ev)
	}
}

// A damaged map (garbage, a line cut by a crash mid-write) is said in the
// log; the plugin starts, keeps the other entries, and appends after it
// without losing the next ones.
func TestDamagedReceiptsMap(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	first := s.sendToGroup(group, "first")
	s.p.Kill()

	path := filepath.Join(s.dir, "message-chats.jsonl")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), itoa(first)) {
		t.Fatalf("the map file %q does not name the message %d", b, first)
	}
	damaged := "not json\n" + string(b) + `{"t":"x","c":1}` + "\n" + `{"t":99,"c":"+1555` // cut mid-line
	if err := os.WriteFile(path, []byte(damaged), 0o600); err != nil {
		t.Fatal(err)
	}

	s.crash()
	if log := s.p.Stderr(); !strings.Contains(log, "the message-to-chat map has damaged lines") || !strings.Contains(log, `"damaged":3`) {
		t.Fatalf("no clear log line about the damaged map in:\n%s", log)
	}
	wantReceiptIn(t, s.receiptFrom(first), group, first)

	second := s.sendToGroup(group, "second")
	s.crash()
	wantReceiptIn(t, s.receiptFrom(first), group, first)
	wantReceiptIn(t, s.receiptFrom(second), group, second)
}
