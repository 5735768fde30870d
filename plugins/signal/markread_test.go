package signal_test

import (
	"slices"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A chat marked read up to a message (XEP-0333) tells each author of the
// messages before it too: Signal's read receipts name messages one by
// one, and the sender's app shows read only those named. (Before: only
// the message named got a receipt, and only its author one.)
func TestMarkReadUpTo(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	inGroup := &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}
	say := func(number, aci, text string) *pb.Event {
		at := d.Now()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: number, SourceUUID: aci, Timestamp: at, DataMessage: &fakesignal.DataMessage{
			Timestamp: at, Message: fakesignal.Text(text), GroupInfo: inGroup}})
		return s.next(isText(text))
	}
	b1 := say(bob, bobACI, "bob one")
	c1 := say(carol, carolACI, "carol one")
	s.sendToGroup(group, "mine")
	b2 := say(bob, bobACI, "bob two")
	if res := s.do(group, &pb.MarkRead{UpToId: b2.EventId, UpToMeta: b2.Meta}); res.Error != nil {
		t.Fatal(res.Error)
	}
	got := map[string][]int64{}
	for _, r := range d.Requests(alice) {
		if r.Method != "sendReceipt" || r.Params["type"] != "read" {
			continue
		}
		who := anyStrings(r.Params["recipient"])
		for _, v := range r.Params["targetTimestamp"].([]any) {
			got[who[0]] = append(got[who[0]], int64(v.(float64)))
		}
	}
	if want := []int64{atoi(t, b1.EventId), atoi(t, b2.EventId)}; !slices.Equal(got[bob], want) {
		t.Errorf("read receipts to bob: %v, want %v", got[bob], want)
	}
	if want := []int64{atoi(t, c1.EventId)}; !slices.Equal(got[carol], want) {
		t.Errorf("read receipts to carol: %v, want %v", got[carol], want)
	}
	if len(got) != 2 {
		t.Errorf("read receipts to %v, want bob and carol only", got)
	}
}

// The last mark of a chat outlives a restart: the first mark after one
// sends receipts for the messages since, not again for every message
// the plugin still knows of. (Before: the mark was the session's, and
// bob got receipts of his old message again.)
func TestMarkReadAfterRestart(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	say := func(text string) *pb.Event {
		at := d.Now()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
			Timestamp: at, Message: fakesignal.Text(text)}})
		return s.next(isText(text))
	}
	read := func(upTo *pb.Event) []int64 {
		t.Helper()
		before := len(d.Requests(alice))
		if res := s.do(bob, &pb.MarkRead{UpToId: upTo.EventId, UpToMeta: upTo.Meta}); res.Error != nil {
			t.Fatal(res.Error)
		}
		var got []int64
		for _, r := range d.Requests(alice)[before:] {
			if r.Method == "sendReceipt" && r.Params["type"] == "read" {
				for _, v := range r.Params["targetTimestamp"].([]any) {
					got = append(got, int64(v.(float64)))
				}
			}
		}
		return got
	}
	old := say("before the restart")
	if got, want := read(old), []int64{atoi(t, old.EventId)}; !slices.Equal(got, want) {
		t.Fatalf("first mark: receipts of %v, want %v", got, want)
	}
	s.crash()
	fresh := say("after the restart")
	if got, want := read(fresh), []int64{atoi(t, fresh.EventId)}; !slices.Equal(got, want) {
		t.Errorf("mark after a restart: receipts of %v, want %v only", got, want)
	}
}

// A read receipt one author cannot get (their safety number changed, or
// they left Signal) does not hold back the others' nor the chat's mark:
// the others get theirs, and the next mark does not send them again.
// Before, the mark failed at that author: those after them (by number)
// got no receipt, and the mark never moved, so every later mark sent
// the ones before them all again.
func TestMarkReadPastAFailedAuthor(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	inGroup := &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}
	say := func(number, aci, text string) *pb.Event {
		at := d.Now()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: number, SourceUUID: aci, Timestamp: at, DataMessage: &fakesignal.DataMessage{
			Timestamp: at, Message: fakesignal.Text(text), GroupInfo: inGroup}})
		return s.next(isText(text))
	}
	receipts := func(upTo *pb.Event) map[string][]int64 {
		t.Helper()
		before := len(d.Requests(alice))
		if res := s.do(group, &pb.MarkRead{UpToId: upTo.EventId, UpToMeta: upTo.Meta}); res.Error != nil {
			t.Fatalf("mark read: %v", res.Error)
		}
		got := map[string][]int64{}
		for _, r := range d.Requests(alice)[before:] {
			if r.Method == "sendReceipt" && r.Params["type"] == "read" {
				who := anyStrings(r.Params["recipient"])[0]
				for _, v := range r.Params["targetTimestamp"].([]any) {
					got[who] = append(got[who], int64(v.(float64)))
				}
			}
		}
		return got
	}
	d.Fail(bob, "IDENTITY_FAILURE") // bob's number sorts before carol's
	say(bob, bobACI, "bob one")
	c1 := say(carol, carolACI, "carol one")
	if got := receipts(c1); !slices.Equal(got[carol], []int64{atoi(t, c1.EventId)}) {
		t.Fatalf("receipts with bob's failing: %v, want carol's", got)
	}
	c2 := say(carol, carolACI, "carol two")
	if got := receipts(c2); !slices.Equal(got[carol], []int64{atoi(t, c2.EventId)}) {
		t.Fatalf("the next mark: receipts %v, want carol's new message only", got)
	}
}
