package irc_test

import (
	"slices"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// With event-playback (which the plugin asks for) the server replays
// joins, parts and the like in a history page, and its limit counts
// them: a page holding fewer messages than the limit is not the last
// one when the rest were such lines, and the next page goes on from
// the page's oldest line. Before, only messages (and reactions) were
// counted: the backfill ended at the first page with a join in it, and
// the older messages were never fetched.
func TestBackfillPastJoins(t *testing.T) {
	srv := startScripted(t, "batch message-tags server-time draft/chathistory", "")
	at := func(i int) string { return histAt(i).Format(time.RFC3339Nano) }
	srv.mu.Lock()
	srv.isupport = "CHATHISTORY=3 "
	srv.history = []string{
		histLine(1),
		histLine(2),
		"@time=" + at(3) + ";msgid=j-3 :dan!d@h JOIN #hist",
		"@time=" + at(4) + ";msgid=j-4 :eve!e@h JOIN #hist",
		"@time=" + at(5) + ";msgid=p-5 :dan!d@h PART #hist :bye",
		histLine(6),
	}
	srv.mu.Unlock()
	p, ctx, hist, _, login := histLogin(t, srv, nil, "#hist")
	srv.got("CHATHISTORY LATEST #hist * 3")
	b := nextBatch(t, hist)
	got := batchIDs(t, b, "#hist")
	if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: login.LoginId, ChatId: "#hist", Cursor: b.Cursor, Limit: 10}); err != nil {
		t.Fatal(err)
	}
	for !b.Done {
		b = nextBatch(t, hist)
		got = append(got, batchIDs(t, b, "#hist")...)
	}
	slices.Sort(got)
	got = slices.Compact(got) // the pages overlap by a line
	if want := []string{"h-1", "h-2", "h-6"}; !slices.Equal(got, want) {
		t.Errorf("the messages fetched: %v; want %v", got, want)
	}
}
