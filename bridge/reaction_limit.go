package bridge

import (
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// How many reactions of the user's one message keeps on the network:
// the plugin says it with Features.max_reactions, or, an older plugin,
// single_reaction (one). Clients are told in disco#info and caps
// (XEP-0444's max_reactions_per_user: caps.go, room_in.go), and a
// client that does not read that (most do not) still sends its whole
// set: the gateway hands the network the newest so many of it
// (messaging.go), as it did with one, the way the networks' own apps
// replace the oldest reaction with a new one. XEP-0444 lets a receiver
// refuse such a set instead; that would leave a user of those clients
// unable to change a reaction once they had the most.

// reactionLimit is how many reactions of the user's a message keeps
// with features f, 0 for no limit (the login's and the network's
// tighter limit already: sdk.IntersectFeatures).
func reactionLimit(f *pb.Features) int { return sdk.ReactionLimit(f) }

// newestReactions is the newest limit emojis of a set a client sent: a
// client lists the reactions it keeps first, and the one just added
// last (Conversations, Gajim, Dino, Movim).
func newestReactions(emojis []string, limit int) []string {
	if limit > 0 && len(emojis) > limit {
		return emojis[len(emojis)-limit:]
	}
	return emojis
}
