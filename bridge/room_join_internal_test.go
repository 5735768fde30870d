package bridge

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"passerelle.im/passerelle/bridge/muc"
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
// chat prefixes, or always when the network names none.
func TestChatName(t *testing.T) {
	irc := []string{"#", "&"}
	for _, c := range []struct {
		prefixes []string
		id       string
		want     bool
	}{
		{nil, "golang", true},
		{irc, "#go-nuts", true},
		{irc, "&local", true},
		{irc, "alice", false},
		{irc, "", false},
		{[]string{""}, "alice", false},
	} {
		if got := chatName(c.prefixes, c.id); got != c.want {
			t.Errorf("chatName(%q, %q) = %v, want %v", c.prefixes, c.id, got, c.want)
		}
	}
}
