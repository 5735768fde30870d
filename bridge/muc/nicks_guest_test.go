package muc

import (
	"fmt"
	"strings"
	"testing"
)

// A guest (a sender the member list does not hold) keeps its nick while
// seen lately, yields it to a member, keeps it on becoming a member, and
// only the MaxGuests guests seen last hold nicks.
func TestNicksGuests(t *testing.T) {
	n := NewNicks()
	n.maxGuests = 3
	if g := n.Guest("gone-1", "Alice"); g != "Alice" {
		t.Fatalf("first guest: %q", g)
	}
	if g := n.Guest("gone-1", "Alice B."); g != "Alice" {
		t.Errorf("a guest seen again: %q, want its nick", g)
	}
	// A member takes the guest's nick plain; the guest is forgotten and
	// gets another nick when next seen.
	if m, changed := n.Assign("alice", "Alice"); m != "Alice" || !changed {
		t.Fatalf("member after a guest of the same name: %q %v, want Alice", m, changed)
	}
	if id, _ := n.MemberOf("Alice"); id != "alice" {
		t.Errorf("Alice is %q's", id)
	}
	if g := n.Guest("gone-1", "Alice"); !strings.HasPrefix(g, "Alice (") {
		t.Errorf("the guest after the member took its nick: %q", g)
	}
	// A guest does not take a member's nick, nor another guest's.
	if g := n.Guest("gone-2", "Alice"); !strings.HasPrefix(g, "Alice (") || g == n.nickOf("gone-1") {
		t.Errorf("a second guest named Alice: %q (first: %q)", g, n.nickOf("gone-1"))
	}
	// Bounded: the least recently seen guest goes first.
	n.Seen("gone-1") // gone-2 is now the oldest
	n.Guest("gone-3", "Carol")
	n.Guest("gone-4", "Dave")
	if _, ok := n.Nick("gone-2"); ok {
		t.Error("the least recently seen guest still holds a nick")
	}
	if _, ok := n.Nick("gone-1"); !ok {
		t.Error("a guest seen lately lost its nick")
	}
	if n.Guests() != 3 || n.Len() != 4 {
		t.Errorf("%d guests, %d nicks; want 3 and 4", n.Guests(), n.Len())
	}
	// A guest becoming a member keeps its nick and is no guest any more:
	// new guests do not push it out.
	if m, changed := n.Assign("gone-3", "Carol"); m != "Carol" || changed {
		t.Errorf("guest made a member: %q %v, want Carol unchanged", m, changed)
	}
	for i := range 10 {
		n.Guest(fmt.Sprintf("stranger-%d", i), fmt.Sprintf("S%d", i))
	}
	if nick, ok := n.Nick("gone-3"); !ok || nick != "Carol" {
		t.Errorf("a former guest, now a member, lost its nick: %q %v", nick, ok)
	}
	if n.Guests() != 3 || n.Len() != 2+3 {
		t.Errorf("after ten guests: %d guests, %d nicks; want 3 and 5", n.Guests(), n.Len())
	}
	// Forgotten guests' nicks are free again, for anyone.
	if m, _ := n.Assign("dave", "Dave"); m != "Dave" {
		t.Errorf("a forgotten guest's nick: %q", m)
	}
	n.Remove("stranger-9")
	if n.Guests() != 2 {
		t.Errorf("Remove of a guest: %d guests left, want 2", n.Guests())
	}
}

// Members keep first claim among themselves: AssignAll still suffixes
// the later of two members of one name, a guest or not before.
func TestNicksGuestInMemberList(t *testing.T) {
	n := NewNicks()
	n.Guest("b", "Bob")
	got := n.AssignAll([]Member{{ID: "a", Name: "Bob"}, {ID: "b", Name: "Bob"}})
	// b held Bob first (as a guest) and is listed: it keeps it.
	if got["b"] != "Bob" || !strings.HasPrefix(got["a"], "Bob (") {
		t.Errorf("AssignAll: %v", got)
	}
	if n.Guests() != 0 {
		t.Errorf("a listed guest is still a guest")
	}
}

func (n *Nicks) nickOf(id string) string { s, _ := n.Nick(id); return s }
