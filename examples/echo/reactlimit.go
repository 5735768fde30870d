package echo

import (
	"os"
	"strconv"
)

// MaxReactionsEnv is a test knob: how many reactions of the user's the
// echo network keeps on a message, as Telegram keeps one (three with
// Premium). Init declares it (Features.max_reactions) and React refuses
// a set with more, as Telegram does (REACTIONS_TOO_MANY). The gateway
// does not pass it on from its own environment: a test starts the
// plugin through a wrapper that sets it. Unset, or not a positive
// number: no limit.
const MaxReactionsEnv = "PASSERELLE_ECHO_MAX_REACTIONS"

// maxReactions reads MaxReactionsEnv; 0 for no limit.
func maxReactions() uint32 {
	n, err := strconv.ParseUint(os.Getenv(MaxReactionsEnv), 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}
