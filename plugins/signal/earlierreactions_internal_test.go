package signal

import (
	"io"
	"log/slog"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The same reaction to an earlier message handled again (its envelope
// again at the next start, its notice not confirmed on disk) makes its
// notice again, under the same event ID, which the gateway drops if it
// has it; before, the notice noted made it a change of that notice, a
// correction of a message the gateway never got, and the notice was
// lost. A later reaction of the same person still corrects the notice.
func TestEarlierReactionReplayed(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &Session{n: &Network{host: &recordingHost{}}, loginID: "l", dir: dir, ids: loadIdentities(dir, nil), acc: Account{Number: "+15550000001"},
		earlier: loadEarlierReactions(dir, log)}
	const bob = "+15550000002"
	target := time.Now().Add(-time.Hour).UnixMilli()
	ts := time.Now().UnixMilli()
	handle := func(ts int64, emoji string) *pb.Event {
		ev := &pb.Event{ChatId: bob, Sender: &pb.Sender{UserId: bob}}
		if !s.earlierReaction(ev, bob, bob, ts, &reaction{Emoji: emoji, TargetSentTimestamp: target}, 0, target, []string{"+15550000001"}) {
			t.Fatal("no event")
		}
		return ev
	}
	first := handle(ts, "👍")
	if first.GetMessage() == nil {
		t.Fatalf("first: %v, want a notice", first)
	}
	s.earlier = loadEarlierReactions(dir, log) // the next start
	again := handle(ts, "👍")
	if again.GetMessage().GetText() != first.GetMessage().GetText() || again.EventId != first.EventId {
		t.Fatalf("the reaction handled again: %v, want its notice again (%v)", again, first)
	}
	later := handle(ts+1000, "❤")
	if later.GetEdit().GetTargetId() != first.EventId {
		t.Fatalf("a later reaction: %v, want a correction of the notice %s", later, first.EventId)
	}
}
