package irc

import "testing"

// A JoinChat given up (its deadline, JoinChatWait) after the server
// forwarded its channel (470) leaves nothing behind: a later join
// forwarded to the same channel is taken as one (not as a refusal, for
// a wait still held under its ID), and a later join of the first
// channel, answered by its own JOIN, does not answer with the other's
// ID.
func TestForwardedJoinGivenUp(t *testing.T) {
	s := &Session{joins: map[string]chan error{}, joinedAs: map[string]string{}, needID: map[string]string{}}
	wait := make(chan error, 1)
	s.joins["#old"] = wait
	if !s.forwarded("#old", "#new") {
		t.Fatal("a join waited for not forwarded")
	}
	s.dropJoin("#old", wait)
	if as, ok := s.joinedAs["#old"]; ok {
		t.Errorf("a given-up join of #old still joined as %q", as)
	}
	s.joins["#other"] = make(chan error, 1)
	if !s.forwarded("#other", "#new") {
		t.Error("a later join forwarded to #new not taken: the given-up one's wait held still")
	}
}
