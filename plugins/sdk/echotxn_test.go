package sdk

import (
	"context"
	"fmt"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// ownMsg is the user's own message (from another device, or the echo of
// a send) under the network's ID id.
func ownMsg(login, chat, id string) *pb.Event {
	return &pb.Event{LoginId: login, ChatId: chat, EventId: id, Sender: &pb.Sender{UserId: "me", IsFromMe: true},
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "hi"}}}
}

// The echo of a message sent through a Send command, under the message
// ID the command's result gave, reaches the host with the send's txn_id
// (the contract's Event.txn_id), which the plugin did not set; what is
// not that echo does not. Before, no txn_id was ever set on it.
func TestEchoCarriesSendTxn(t *testing.T) {
	f := newFakeTransport()
	c := startServer(t, f, "")
	cm := openCommands(t, c)
	r := openEvents(t, c)

	if res := cm.do(sendCmd("c", "t1", "hi")); res.MessageId != "m-t1" {
		t.Fatalf("send: %v", res)
	}
	// A send into another chat than the command's (the result names it).
	f.mu.Lock()
	f.handle = func(_ context.Context, cmd *pb.Command) (Result, error) {
		return Result{MessageID: "m-" + cmd.TxnId, ChatID: "c2"}, nil
	}
	f.mu.Unlock()
	cm.do(sendCmd("c", "t2", "hi"))

	other := ownMsg("l", "c", "m-t1")
	other.Sender.IsFromMe = false
	pluginSet := ownMsg("l", "c", "m-t1")
	pluginSet.TxnId = "plugin's"
	cases := []struct {
		name string
		ev   *pb.Event
		want string
	}{
		{"the echo", ownMsg("l", "c", "m-t1"), "t1"},
		{"the echo in the chat the result named", ownMsg("l", "c2", "m-t2"), "t2"},
		{"another message of the user's", ownMsg("l", "c", "m-other"), ""},
		{"the same ID in another chat", ownMsg("l", "c9", "m-t1"), ""},
		{"the same ID on another login", ownMsg("l2", "c", "m-t1"), ""},
		{"a contact's message", other, ""},
		{"the plugin's own txn_id", pluginSet, "plugin's"},
	}
	h := f.Host()
	for _, tc := range cases {
		h.Emit(tc.ev)
		if got := r.next(t).TxnId; got != tc.want {
			t.Errorf("%s: txn_id %q, want %q", tc.name, got, tc.want)
		}
	}
	// EmitWait sets it too.
	done := make(chan error, 1)
	go func() { done <- h.EmitWait(testContext(t), ownMsg("l", "c", "m-t1")) }()
	ev := r.next(t)
	if ev.TxnId != "t1" {
		t.Errorf("EmitWait: txn_id %q, want t1", ev.TxnId)
	}
	if err := r.stream.Send(&pb.EventAck{UpToSeq: ev.Seq}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("EmitWait: %v", err)
	}
}

// A send is kept for its echo sentTxnTTL, and at most sentTxnSize of
// them, the oldest forgotten first.
func TestSentTxnsBounded(t *testing.T) {
	now := time.Unix(1e9, 0)
	s := sentTxns{now: func() time.Time { return now }}
	txnOf := func(id string) string {
		ev := ownMsg("l", "c", id)
		s.stamp(ev)
		return ev.TxnId
	}
	s.add(sentKey{"l", "c", "old"}, "t-old")
	now = now.Add(sentTxnTTL)
	if got := txnOf("old"); got != "t-old" {
		t.Fatalf("within the TTL: txn_id %q, want t-old", got)
	}
	now = now.Add(time.Second)
	if got := txnOf("old"); got != "" {
		t.Fatalf("past the TTL: txn_id %q, want none", got)
	}
	for i := range sentTxnSize + 1 {
		s.add(sentKey{"l", "c", fmt.Sprint(i)}, fmt.Sprint("t", i))
	}
	if len(s.m) != sentTxnSize || len(s.order) != sentTxnSize {
		t.Fatalf("%d sends kept (%d in order), want %d", len(s.m), len(s.order), sentTxnSize)
	}
	if got := txnOf("0"); got != "" {
		t.Errorf("the oldest past the bound: txn_id %q, want none", got)
	}
	if got := txnOf(fmt.Sprint(sentTxnSize)); got != fmt.Sprint("t", sentTxnSize) {
		t.Errorf("the newest: txn_id %q", got)
	}
	// The same ID sent again, which evicts its older entry: the newer
	// one stays.
	s.add(sentKey{"l", "c", "1"}, "t-again")
	if got := txnOf("1"); got != "t-again" {
		t.Errorf("an ID sent again: txn_id %q, want t-again", got)
	}
}
