package signal_test

import (
	"os"
	"path/filepath"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Two people may send in the same millisecond: a message's ID names its
// author beside the timestamp, so the two are two messages, and what
// names one of them (a reaction) names it and not the other.
func TestMessageIDsNameAuthor(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	inGroup := &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, Message: fakesignal.Text("bob at the same time"), GroupInfo: inGroup}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, Message: fakesignal.Text("carol at the same time"), GroupInfo: inGroup}})
	bobs := s.next(isText("bob at the same time"))
	carols := s.next(isText("carol at the same time"))
	if bobs.EventId == carols.EventId {
		t.Fatalf("two authors' messages of one millisecond have one ID, %q", bobs.EventId)
	}
	if bobs.EventId != mid(at, bobACI) || carols.EventId != mid(at, carolACI) {
		t.Fatalf("IDs %q and %q, want the timestamp and each author's ACI", bobs.EventId, carols.EventId)
	}

	// Bob reacts to carol's message: the reaction names hers.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{GroupInfo: inGroup,
		Reaction: &fakesignal.Reaction{Emoji: "👍", TargetAuthorNumber: carol, TargetAuthorUUID: carolACI, TargetSentTimestamp: at}}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetReaction() != nil }); ev.GetReaction().TargetId != carols.EventId {
		t.Fatalf("reaction to carol's message names %q, want %q", ev.GetReaction().TargetId, carols.EventId)
	}
	// The user reacts to bob's, named by its ID alone (no metadata):
	// Signal is told bob's.
	if res := s.do(group, &pb.React{TargetId: bobs.EventId, Emojis: []string{"🎉"}}); res.Error != nil {
		t.Fatal(res.Error)
	}
	if req, _ := lastRequest(d, "sendReaction"); req.Params["targetAuthor"] != bob || req.Params["targetTimestamp"] != float64(at) {
		t.Fatalf("sendReaction %v, want bob's message", req.Params)
	}
}

// A login from before the IDs named authors: the gateway keeps the bare
// timestamps it was given, so what names one of those messages (a
// reaction, a deletion) names it by its bare timestamp, and a command
// naming it by that ID still works; a message from then on names its
// author.
func TestOldMessageIDsStillResolve(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	old := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: old, DataMessage: &fakesignal.DataMessage{
		Timestamp: old, Message: fakesignal.Text("from before")}})
	s.next(isText("from before"))
	// The plugin before this form kept no message-ids.json.
	s.p.Kill()
	if err := os.Remove(filepath.Join(s.dir, "message-ids.json")); err != nil {
		t.Fatal(err)
	}
	s.crash()

	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Reaction: &fakesignal.Reaction{Emoji: "👍", TargetAuthorNumber: bob, TargetAuthorUUID: bobACI, TargetSentTimestamp: old}}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetReaction() != nil }); ev.GetReaction().TargetId != itoa(old) {
		t.Fatalf("reaction to a message from before names %q, want its bare timestamp", ev.GetReaction().TargetId)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		RemoteDelete: &fakesignal.RemoteDelete{Timestamp: old}}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetRetraction() != nil }); ev.GetRetraction().TargetId != itoa(old) {
		t.Fatalf("deletion of a message from before names %q, want its bare timestamp", ev.GetRetraction().TargetId)
	}
	if res := s.do(bob, &pb.React{TargetId: itoa(old), TargetMeta: []byte(`{"a":"` + bob + `","t":` + itoa(old) + `}`), Emojis: []string{"🎉"}}); res.Error != nil {
		t.Fatal(res.Error)
	}
	if req, _ := lastRequest(d, "sendReaction"); req.Params["targetAuthor"] != bob || req.Params["targetTimestamp"] != float64(old) {
		t.Fatalf("sendReaction %v, want bob's message from before", req.Params)
	}

	now := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: now, DataMessage: &fakesignal.DataMessage{
		Timestamp: now, Message: fakesignal.Text("from now on")}})
	if ev := s.next(isText("from now on")); ev.EventId != mid(now, bobACI) {
		t.Fatalf("a new message's ID %q, want its author in it", ev.EventId)
	}
}
