package bridge

import (
	"context"
	"fmt"
	"strings"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// "/vote CHOICES" sent as a reply (XEP-0461) to a poll's message, in a
// chat or a room, is the user's vote in that poll (Vote, feature
// poll_vote): "/vote 2" (the poll's text numbers its options), "/vote
// Pizza", "/vote 1, 3" where several answers are allowed, "/vote none"
// to take the vote back. It is not sent as a message; the poll's message
// corrected with the counts answers it, a refusal an error reply naming
// why.

// maxVoteChoices bounds a vote's choices: more than any poll's options.
const maxVoteChoices = 64

// voteUsage is what a "/vote" the gateway cannot use answers.
const voteUsage = "usage: reply to the poll with /vote 2 (its option's number or text; several apart with commas), or /vote none to take your vote back"

// voteChoices splits a vote's argument into its choices: by commas, else
// by spaces when each word is a number ("1 3"), else the whole text (an
// option's words). "none" is no choice: the vote taken back.
func voteChoices(arg string) []string {
	if strings.EqualFold(arg, "none") {
		return nil
	}
	var out []string
	if strings.Contains(arg, ",") {
		for c := range strings.SplitSeq(arg, ",") {
			if c = strings.TrimSpace(c); c != "" {
				out = append(out, c)
			}
		}
		return out
	}
	words := strings.Fields(arg)
	for _, w := range words {
		if strings.TrimLeft(w, "0123456789") != "" {
			return []string{arg}
		}
	}
	return words
}

// vote answers the user's "/vote" (arg, its argument) sent in chatID in
// reply to the message replyTo names.
func (s *session) vote(ctx context.Context, st *wire.Stanza, chatID, txn, replyTo, arg string) {
	t := s.t
	if !s.features().GetPollVote() {
		t.send(ctx, wire.ErrorReply(st, wire.FeatureNotImpl, t.displayName()+" does not let the gateway vote in polls"))
		return
	}
	if arg == "" || replyTo == "" {
		t.send(ctx, wire.ErrorReply(st, wire.BadRequest, voteUsage))
		return
	}
	choices := voteChoices(arg)
	if len(choices) > maxVoteChoices {
		t.send(ctx, wire.ErrorReply(st, wire.BadRequest, fmt.Sprintf("a vote of %d choices: at most %d", len(choices), maxVoteChoices)))
		return
	}
	if ref, ok := s.repliedTo(ctx, st, chatID, replyTo); ok {
		s.chatCommand(ctx, st, &pb.Command{LoginId: s.LoginID(), ChatId: chatID, TxnId: txn,
			Action: &pb.Command_Vote{Vote: &pb.Vote{TargetId: ref.RemoteID, TargetMeta: ref.Meta, Choices: choices}}})
	}
}
