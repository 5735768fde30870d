package bridge

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"

	"passerelle.im/passerelle/bridge/muc"
	pb "passerelle.im/passerelle/plugins/proto"
)

// bigRoom is a room of n members, echo-1 to echo-n, and their IDs in a
// shuffled order (as a map gives them).
func bigRoom(n int) (*room, []string) {
	r := &room{nicks: muc.NewNicks()}
	ms := make([]muc.Member, n)
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("echo-%d", i+1)
		ms[i] = muc.Member{ID: ids[i], Name: fmt.Sprintf("Member %05d", n-i)}
	}
	r.nicks.AssignAll(ms)
	rand.Shuffle(n, func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	return r, ids
}

// The join's occupant list is in nick order, whatever order the members
// come in.
func TestSortedByNick(t *testing.T) {
	r, ids := bigRoom(1000)
	got := sortedByNick(r, ids)
	if len(got) != 1000 {
		t.Fatalf("%d IDs, want 1000", len(got))
	}
	nicks := make([]string, len(got))
	for i, id := range got {
		nicks[i], _ = r.nicks.Nick(id)
	}
	if !slices.IsSorted(nicks) || got[0] != "echo-1000" || got[999] != "echo-1" {
		t.Fatalf("not in nick order: first %s %q, last %s %q", got[0], nicks[0], got[999], nicks[999])
	}
}

// The occupant list of a join of a room of 1,000 members.
func BenchmarkSortedByNick(b *testing.B) {
	r, ids := bigRoom(1000)
	for b.Loop() {
		b.StopTimer()
		rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		b.StartTimer()
		sortedByNick(r, ids)
	}
}

// A name is a chat's to join when it starts with one of the network's
// chat prefixes, or has the whole form of its group IDs
// (join_chat_pattern), or always when the network names neither.
func TestChatName(t *testing.T) {
	irc := []string{"#", "&"}
	signal := []string{"joinchat"}
	const group = "0123456789abcdef0123456789abcdef"
	for _, c := range []struct {
		prefixes []string
		pattern  string
		id       string
		want     bool
	}{
		{nil, "", "golang", true},
		{irc, "", "#go-nuts", true},
		{irc, "", "&local", true},
		{irc, "", "alice", false},
		{irc, "", "", false},
		{[]string{""}, "", "alice", false},
		{signal, "[0-9a-f]{32}", group, true},
		{signal, "[0-9a-f]{32}", "joinchat", true},
		{signal, "[0-9a-f]{32}", "+15550000001", false},
		{signal, "[0-9a-f]{32}", group + "0", false}, // the whole ID
		{signal, "[0-9a-f]{32}", "x" + group, false},
		{nil, "[0-9a-f]{32}", "golang", false}, // a pattern alone narrows too
		{signal, "[0-9a-f", group, false},      // not compiled: matches nothing
	} {
		tr := &transport{log: slog.New(slog.DiscardHandler)}
		pattern := joinChatPattern(tr, &pb.Features{JoinChatPattern: c.pattern})
		if got := chatName(c.prefixes, pattern, c.id); got != c.want {
			t.Errorf("chatName(%q, %q, %q) = %v, want %v", c.prefixes, c.pattern, c.id, got, c.want)
		}
	}
}
