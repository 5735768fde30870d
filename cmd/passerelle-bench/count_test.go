package main

import "testing"

// The bench's counts agree with their nouns, one and several: a run
// with -users 1 said "1 users", a round with one error "1 errors".
func TestCountsAgree(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{count(1, "user", "users"), "1 user"},
		{count(0, "user", "users"), "0 users"},
		{count(2, "CPU", "CPUs"), "2 CPUs"},
		{count(1, "error reply", "error replies"), "1 error reply"},
		{tally(1, 1, 0), "1 round trip, 1 error, 0 lost"},
		{tally(250, 0, 1), "250 round trips, 0 errors, 1 lost"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
