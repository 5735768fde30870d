package signal_test

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Stories are not shown, but what answers one is: a reply to the user's
// story says so before its text (it read as a message out of nowhere),
// and a reaction to one is a message saying so (it named a message the
// gateway does not know, and was dropped). The user's own from the
// phone too.
func TestStoryAnswers(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	mine := &fakesignal.StoryContext{AuthorNumber: alice, AuthorUUID: aliceACI, SentTimestamp: 1700000000123}

	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, Message: fakesignal.Text("nice view \uFFFC"), StoryContext: mine,
		Mentions: []fakesignal.Mention{{Number: alice, UUID: aliceACI, Start: 10, Length: 1}}}})
	ev := s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil || ev.GetReaction() != nil })
	want := "↩ Replied to your story: nice view @" + alice
	if m := ev.GetMessage(); m.GetText() != want || ev.ChatId != bob || ev.Sender.GetUserId() != bob || ev.EventId != mid(at, bobACI) ||
		len(m.Spans) != 1 || want[m.Spans[0].Start:m.Spans[0].End] != "@"+alice {
		t.Fatalf("a reply to alice's story: %v, want %q with its mention", ev, want)
	}

	// In a chat with disappearing messages: the notice disappears as
	// its messages do.
	at = d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, StoryContext: mine, ExpiresInSeconds: 86400,
		Reaction: &fakesignal.Reaction{Emoji: "❤️", TargetAuthorNumber: alice, TargetAuthorUUID: aliceACI, TargetSentTimestamp: mine.SentTimestamp}}})
	ev = s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil || ev.GetReaction() != nil })
	if ev.GetMessage().GetText() != "Reacted ❤️ to your story" || ev.ChatId != bob || ev.Sender.GetUserId() != bob || ev.EventId != mid(at, bobACI) ||
		ev.GetMessage().GetExpiresAfterReadSeconds() != 86400 {
		t.Fatalf("a reaction to alice's story: %v, want a message saying so, under the chat's timer", ev)
	}

	// Alice, on her phone, answers bob's story.
	at = d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, Timestamp: at, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DestinationNumber: bob, DestinationUUID: bobACI, DataMessage: fakesignal.DataMessage{
			Timestamp: at, Message: fakesignal.Text("where is it?"),
			StoryContext: &fakesignal.StoryContext{AuthorNumber: bob, AuthorUUID: bobACI, SentTimestamp: 1700000000456}}}}})
	ev = s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil || ev.GetReaction() != nil })
	if ev.GetMessage().GetText() != "↩ Replied to their story: where is it?" || ev.ChatId != bob || !ev.Sender.GetIsFromMe() {
		t.Fatalf("alice's reply to bob's story from her phone: %v", ev)
	}

	// In a group, someone's story; a reaction taken back shows nothing.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("ha"), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"},
		StoryContext: &fakesignal.StoryContext{AuthorNumber: bob, AuthorUUID: bobACI, SentTimestamp: 1700000000789}}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil }); ev.GetMessage().GetText() != "↩ Replied to a story: ha" || ev.ChatId != hexGroup(gid) {
		t.Fatalf("a reply to a story in the group: %v", ev)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{StoryContext: mine,
		Reaction: &fakesignal.Reaction{Emoji: "❤️", TargetAuthorNumber: alice, TargetSentTimestamp: mine.SentTimestamp, IsRemove: true}}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("marker")}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil || ev.GetReaction() != nil }); ev.GetMessage().GetText() != "marker" {
		t.Fatalf("a story reaction taken back: %v, want nothing", ev)
	}
}

// The notice of a reaction to a story is no message on Signal (its ID
// is the reaction's): reacting to it from XMPP is refused saying so,
// after a restart too, rather than sent naming a message no phone has;
// a reply to it goes as a plain message, not quoting the reaction.
func TestStoryReactionNoticeCommands(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	mine := &fakesignal.StoryContext{AuthorNumber: alice, AuthorUUID: aliceACI, SentTimestamp: d.Now() - 3_600_000}
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, StoryContext: mine,
		Reaction: &fakesignal.Reaction{Emoji: "🔥", TargetAuthorNumber: alice, TargetAuthorUUID: aliceACI, TargetSentTimestamp: mine.SentTimestamp}}})
	ev := s.next(func(ev *pb.Event) bool { return ev.TimestampUnixMicro == at*1000 })
	if ev.GetMessage() == nil {
		t.Fatalf("a reaction to alice's story: %v, want a notice", ev)
	}
	s.crash()
	before := d.Calls("sendReaction")
	res := s.do(bob, &pb.React{TargetId: ev.EventId, TargetMeta: ev.Meta, Emojis: []string{"❤️"}})
	if res.Error == nil || !strings.Contains(res.Error.Text, "story") || d.Calls("sendReaction") != before {
		t.Fatalf("a reaction to the notice: %v, want refused saying why", res.Error)
	}
	res = s.do(bob, &pb.SendMessage{Text: "glad you like it", ReplyToId: ev.EventId, ReplyToMeta: ev.Meta})
	if req, _ := lastRequest(d, "send"); res.Error != nil || req.Params["quoteTimestamp"] != nil {
		t.Fatalf("a reply to the notice: %v, sent %v, want it sent without a quote", res.Error, req.Params)
	}
}

// Each reaction of one person to one story is a notice of its own, as
// Signal's apps show every one: reacting to the first from XMPP is
// still refused once the second came, after a restart too. Before, the
// second replaced the first's entry, and a reaction to the first went
// to Signal naming a message no phone has.
func TestStoryReactionsTwiceBothNotices(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	mine := &fakesignal.StoryContext{AuthorNumber: alice, AuthorUUID: aliceACI, SentTimestamp: d.Now() - 3_600_000}
	var notices []*pb.Event
	for _, emoji := range []string{"🔥", "😂"} {
		at := d.Now()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
			Timestamp: at, StoryContext: mine,
			Reaction: &fakesignal.Reaction{Emoji: emoji, TargetAuthorNumber: alice, TargetAuthorUUID: aliceACI, TargetSentTimestamp: mine.SentTimestamp}}})
		ev := s.next(func(ev *pb.Event) bool { return ev.TimestampUnixMicro == at*1000 })
		if !strings.Contains(ev.GetMessage().GetText(), emoji) {
			t.Fatalf("a reaction %s to alice's story: %v, want a notice", emoji, ev)
		}
		notices = append(notices, ev)
	}
	s.crash()
	before := d.Calls("sendReaction")
	for i, ev := range notices {
		res := s.do(bob, &pb.React{TargetId: ev.EventId, TargetMeta: ev.Meta, Emojis: []string{"❤️"}})
		if res.Error == nil || !strings.Contains(res.Error.Text, "story") || d.Calls("sendReaction") != before {
			t.Errorf("a reaction to notice %d: %v, want refused saying why", i+1, res.Error)
		}
	}
}
