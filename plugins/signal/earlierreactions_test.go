package signal_test

import (
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// reactEvent delivers from's reaction emoji (a removal if remove) to the
// message of timestamp target by author, in the group gid ("" direct),
// and returns the event it makes, whatever its kind.
func (s *session) reactEvent(from, fromACI, gid, emoji string, target int64, author, authorACI string, remove bool) *pb.Event {
	s.t.Helper()
	at := s.d.Now()
	dm := &fakesignal.DataMessage{Timestamp: at,
		Reaction: &fakesignal.Reaction{Emoji: emoji, TargetAuthorNumber: author, TargetAuthorUUID: authorACI, TargetSentTimestamp: target, IsRemove: remove}}
	if gid != "" {
		dm.GroupInfo = &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}
	}
	s.d.Deliver(alice, fakesignal.Envelope{SourceNumber: from, SourceUUID: fromACI, Timestamp: at, DataMessage: dm})
	// A text after it: an envelope that makes no event shows as the
	// text's.
	after := s.d.Now()
	s.d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: after,
		DataMessage: &fakesignal.DataMessage{Timestamp: after, Message: fakesignal.Text("after " + itoa(at))}})
	return s.next(func(ev *pb.Event) bool {
		return ev.TimestampUnixMicro == at*1000 || ev.TimestampUnixMicro == after*1000
	})
}

// A reaction to a message the gateway never had (sent before the link:
// Signal gives a linked device no history) is a notice of its own, which
// the reactor's next reaction to it corrects and its removal takes back,
// after a restart too; the gateway would drop a reaction naming a
// message it does not know. A reaction to a message it had stays a
// reaction.
func TestReactionToEarlierMessageShown(t *testing.T) {
	d, gid, s, group := groupKnown(t)
	mine := d.Now() - 3_600_000 // alice's, an hour ago, never seen

	ev := s.reactEvent(bob, bobACI, "", "👍", mine, alice, "", false)
	m := ev.GetMessage()
	if m == nil || ev.ChatId != bob || ev.Sender.GetUserId() != bob || ev.EventId == "" ||
		!strings.Contains(m.Text, "👍") || !strings.Contains(m.Text, "your earlier message") {
		t.Fatalf("bob's reaction to alice's earlier message: %v, want a notice in bob's chat saying so", ev)
	}
	notice := ev.EventId

	ev = s.reactEvent(bob, bobACI, "", "❤️", mine, alice, "", false)
	if e := ev.GetEdit(); e == nil || e.TargetId != notice || !strings.Contains(e.Text, "❤️") || strings.Contains(e.Text, "👍") {
		t.Fatalf("bob's new reaction to it: %v, want the notice %s corrected to ❤️", ev, notice)
	}

	s.crash()
	ev = s.reactEvent(bob, bobACI, "", "❤️", mine, alice, "", true)
	if r := ev.GetRetraction(); r == nil || r.TargetId != notice || ev.Sender.GetUserId() != bob {
		t.Fatalf("bob's reaction to it removed after a restart: %v, want the notice %s taken back", ev, notice)
	}
	// A removal of a reaction never shown shows nothing.
	ev = s.reactEvent(bob, bobACI, "", "❤️", mine-1, alice, "", true)
	if !strings.HasPrefix(ev.GetMessage().GetText(), "after ") {
		t.Fatalf("a removal of a reaction never shown: %v, want nothing", ev)
	}

	// In a chat with disappearing messages, the notice disappears too.
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{Timestamp: at,
		ExpiresInSeconds: 3600, Reaction: &fakesignal.Reaction{Emoji: "😮", TargetAuthorNumber: alice, TargetSentTimestamp: mine - 2}}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.TimestampUnixMicro == at*1000 }); ev.GetMessage().GetExpiresAfterReadSeconds() != 3600 {
		t.Fatalf("a reaction to an earlier message under a timer: %v, want its notice under it too", ev)
	}

	// In the group, carol's reaction to bob's earlier message.
	ev = s.reactEvent(carol, carolACI, gid, "🎉", mine, bob, bobACI, false)
	if m := ev.GetMessage(); m == nil || ev.ChatId != group || !strings.Contains(m.Text, "🎉") || !strings.Contains(m.Text, "earlier message") {
		t.Fatalf("carol's reaction to bob's earlier message: %v, want a notice in the group", ev)
	}

	// A message the gateway had: a reaction, as ever.
	known := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: known,
		DataMessage: &fakesignal.DataMessage{Timestamp: known, Message: fakesignal.Text("known")}})
	s.next(isText("known"))
	ev = s.reactEvent(carol, carolACI, "", "👍", known, bob, bobACI, false)
	if r := ev.GetReaction(); r == nil || r.TargetId != mid(known, bobACI) || !slices.Equal(r.Emojis, []string{"👍"}) {
		t.Fatalf("a reaction to a message the gateway had: %v", ev)
	}
}

// The notice of a reaction to an earlier message is no message on
// Signal (its ID is the reaction's): a reaction, correction, deletion or
// pin of it from XMPP is refused saying so, rather than sent naming a
// message no phone has, which every app drops without a word; a reply to
// it quotes the message reacted to, which the phones have. The user's
// own reaction from the phone makes such a notice too.
func TestEarlierReactionNoticeCommands(t *testing.T) {
	d, _, s, _ := groupKnown(t)
	mine := d.Now() - 3_600_000 // alice's, an hour ago, never seen
	ev := s.reactEvent(bob, bobACI, "", "👍", mine, alice, "", false)
	if ev.GetMessage() == nil {
		t.Fatalf("bob's reaction to an earlier message: %v, want a notice", ev)
	}
	id, meta := ev.EventId, ev.Meta
	sends := d.Calls("send")
	for _, c := range []struct {
		what   string
		action any
		method string
	}{
		{"reaction", &pb.React{TargetId: id, TargetMeta: meta, Emojis: []string{"❤️"}}, "sendReaction"},
		{"deletion", &pb.Retract{TargetId: id, TargetMeta: meta}, "remoteDelete"},
		{"pin", &pb.Pin{TargetId: id, TargetMeta: meta}, "sendPinMessage"},
	} {
		before := d.Calls(c.method)
		res := s.do(bob, c.action)
		if res.Error == nil || !strings.Contains(res.Error.Text, "not a message on Signal") || d.Calls(c.method) != before {
			t.Fatalf("%s of the notice: %v (%s sent: %v), want refused saying why", c.what, res.Error, c.method, d.Calls(c.method) != before)
		}
	}

	res := s.do(bob, &pb.SendMessage{Text: "thanks", ReplyToId: id, ReplyToMeta: meta})
	req, _ := lastRequest(d, "send")
	if res.Error != nil || d.Calls("send") != sends+1 || req.Params["quoteTimestamp"] != float64(mine) || req.Params["quoteAuthor"] != alice {
		t.Fatalf("reply to the notice: %v, sent %v, want it quoting the message reacted to (%d by %s)", res.Error, req.Params, mine, alice)
	}

	// The user's own reaction from the phone: its notice cannot be
	// corrected either.
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SourceDevice: 1, Timestamp: at, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DestinationNumber: bob, DataMessage: fakesignal.DataMessage{Timestamp: at,
			Reaction: &fakesignal.Reaction{Emoji: "🙏", TargetAuthorNumber: bob, TargetAuthorUUID: bobACI, TargetSentTimestamp: mine - 5}}}}})
	own := s.next(func(ev *pb.Event) bool { return ev.TimestampUnixMicro == at*1000 })
	if own.GetMessage() == nil {
		t.Fatalf("the user's reaction from the phone to an earlier message: %v, want a notice", own)
	}
	before := d.Calls("send")
	res = s.do(bob, &pb.EditMessage{TargetId: own.EventId, TargetMeta: own.Meta, Text: "corrected"})
	if res.Error == nil || !strings.Contains(res.Error.Text, "not a message on Signal") || d.Calls("send") != before {
		t.Fatalf("correction of the user's own notice: %v, want refused saying why", res.Error)
	}
}
