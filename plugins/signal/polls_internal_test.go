package signal

import (
	"log/slog"
	"testing"

	"passerelle.im/passerelle/plugins/pollstore"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A poll an older plugin kept under its bare timestamp is read back and
// counts votes after the upgrade, still under that key (not kept twice);
// a new poll of the same millisecond by another author gets a file of
// its own.
func TestPollKeptByTimestampAlone(t *testing.T) {
	const ts, bob, carol = 1700000000000, "+15550000002", "+15550000003"
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	old := &pollEntry{ts: ts, author: bob, chat: "g", sender: &pb.Sender{UserId: bob}, poll: pollCreate{Question: "Q", Options: []string{"A", "B"}}}
	ps, err := old.saved()
	if err != nil {
		t.Fatal(err)
	}
	store, _ := pollstore.Open[pollSaved](dir, log)
	store.Put("1700000000000", ps)

	var c pollCache
	c.load(dir, log)
	if e, text := c.vote("g", bob, carol, &pollVote{TargetSentTimestamp: ts, OptionIndexes: []int{1}, VoteCount: 1}, false); e == nil || text == "" {
		t.Fatalf("vote in the poll kept by an older plugin: %v %q, want counted", e, text)
	}
	c.remember(ts, &pollEntry{author: carol, chat: "g", sender: &pb.Sender{UserId: carol}, poll: pollCreate{Question: "R", Options: []string{"C", "D"}}})

	var again pollCache
	again.load(dir, log)
	if e := again.find("g", bob, ts); e == nil || e.key != "1700000000000" || e.ballots[carol].count != 1 {
		t.Fatalf("bob's poll after a restart: %+v, want under its old key with carol's vote", e)
	}
	if e := again.find("g", carol, ts); e == nil || e.poll.Question != "R" {
		t.Fatalf("carol's poll of the same millisecond after a restart: %+v", e)
	}
	if len(again.order) != 2 {
		t.Fatalf("%d polls kept, want 2", len(again.order))
	}
}
