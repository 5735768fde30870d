package signal

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"passerelle.im/passerelle/plugins/signal/rpc"
)

// groupNote is a receive notification of a message (DELIVER) or an
// update (UPDATE) of group gid at revision rev; sent says the user's own,
// from another device, in subscription answer form as manual receive
// mode gives it.
func groupNote(i int, gid string, rev int, typ string, sent bool) rpc.Note {
	msg := fmt.Sprintf(`{"timestamp":%d,"message":"hello there","groupInfo":{"groupId":%q,"revision":%d,"type":%q}}`, 1700000000000+i, gid, rev, typ)
	env := fmt.Sprintf(`{"sourceNumber":"+1555000%04d","timestamp":%d,"dataMessage":%s}`, i%10000, 1700000000000+i, msg)
	if sent {
		env = fmt.Sprintf(`{"sourceNumber":"+15550009999","timestamp":%d,"syncMessage":{"sentMessage":%s}}`, 1700000000000+i, msg)
		return rpc.Note{Method: "receive", Params: json.RawMessage(`{"result":{"envelope":` + env + `}}`)}
	}
	return rpc.Note{Method: "receive", Params: json.RawMessage(`{"envelope":` + env + `}`)}
}

// laterOfGroup answers from what was noted of each envelope as it came
// into the inbox (read off the socket, adopted, or loaded from disk
// after a restart), and forgets an envelope once handled.
func TestLaterOfGroupAnswers(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	in := loadInbox(dir, log)
	mine := []rpc.Note{groupNote(1, "g1", 5, "DELIVER", false), groupNote(2, "g1", 6, "UPDATE", true), groupNote(3, "g2", 9, "UPDATE", false)}
	in.received(mine, false)
	adopted := []rpc.Note{groupNote(4, "g3", 2, "DELIVER", false)}
	in.received(adopted, true)
	for _, in := range []*inbox{in, loadInbox(dir, log)} { // and after a restart
		for _, c := range []struct {
			gid           string
			rev           int
			past, updates bool
		}{
			{"g1", 4, true, true}, {"g1", 5, true, true}, {"g1", 6, false, false},
			{"g2", 8, true, true}, {"g3", 1, true, false}, {"g4", 0, false, false},
		} {
			if past, update := in.laterOfGroup(c.gid, c.rev); past != c.past || update != c.updates {
				t.Errorf("laterOfGroup(%s, %d) = %v, %v; want %v, %v", c.gid, c.rev, past, update, c.past, c.updates)
			}
		}
	}
	in.handled(mine[1].Ref)
	if past, update := in.laterOfGroup("g1", 4); !past || update {
		t.Errorf("with g1's update handled, laterOfGroup(g1, 4) = %v, %v; want true, false", past, update)
	}
	in.handled(mine[0].Ref)
	if past, _ := in.laterOfGroup("g1", 0); past {
		t.Errorf("with g1's envelopes handled, one is still later")
	}
}

// A group update asks laterOfGroup, and a backlog after a restart holds
// thousands of envelopes, each update among them asking in turn: the
// answer must not parse the envelopes again (that made a backlog's
// handling quadratic). Counted in allocations, which parsing makes for
// each envelope: none grow with the backlog of other groups.
func TestLaterOfGroupDoesNotReparse(t *testing.T) {
	in := loadInbox("", slog.New(slog.DiscardHandler))
	var notes []rpc.Note
	for i := range 2000 {
		notes = append(notes, groupNote(i, fmt.Sprintf("g%d", i%20), i, "DELIVER", false))
	}
	in.received(notes, false)
	allocs := testing.AllocsPerRun(20, func() { in.laterOfGroup("g3", 100) })
	if allocs > 10 {
		t.Fatalf("laterOfGroup over 2000 pending envelopes makes %v allocations: it parses them again", allocs)
	}
}

// The groups' revisions are read back after a restart; an update
// handled again (left in the inbox by a crash) gets the answer it got
// the first time; and what is kept stays bounded.
func TestGroupRevisionsKept(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	r := loadGroupRevisions(dir, log)
	if r.note("g", 5) {
		t.Fatal("a gap before the first update known")
	}
	if !r.note("g", 7) {
		t.Fatal("revision 6 skipped, no gap")
	}
	r = loadGroupRevisions(dir, log)
	if !r.note("g", 7) {
		t.Error("revision 7 handled again after a restart: its gap is forgotten")
	}
	if r.note("g", 8) {
		t.Error("a gap after revision 7 read back")
	}
	if r.note("g", 0); r.note("g", 12) {
		t.Error("a gap after the user's own change (no revision)")
	}
	for i := range maxGroupRevs {
		r.m[fmt.Sprintf("h%d", i)] = groupRev{Rev: 1}
	}
	r.note("new", 1)
	if n := len(loadGroupRevisions(dir, log).m); n > maxGroupRevs {
		t.Errorf("%d groups' revisions kept, over %d", n, maxGroupRevs)
	}
}
