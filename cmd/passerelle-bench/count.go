package main

import "fmt"

// count is n with the noun that agrees with it: "1 user", "2 users",
// "0 users". The report's counts a flag or the machine can make 1
// (-users 1, one CPU, one error) go through it.
func count[N int | int64](n N, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// tally is a phase's round trips, errors and losses, as each round's
// line ends.
func tally(roundTrips int, errors, lost int64) string {
	return count(roundTrips, "round trip", "round trips") + ", " + count(errors, "error", "errors") + fmt.Sprintf(", %d lost", lost)
}
