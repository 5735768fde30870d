package telegram

import (
	"strconv"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/telegram/recent"
)

// goneLimit bounds the deleted messages remembered (the most recent).
const goneLimit = 4096

// goneMessages remembers the messages Telegram said were deleted, so
// that a reaction to one told after its deletion is dropped: a catch-up
// gives its reactions (no pts) after its deletions, and the common
// catch-up's reaction to a supergroup's message may come after the
// channel's catch-up deleted it. The message is gone: a reaction after
// its retraction named nothing, or showed on a message the client
// struck out (TestGapReactionToDeletedMessage).
type goneMessages struct {
	recent.Map[string, struct{}]
}

// goneKey names message id of channel (0: of the account's common box,
// private chats and basic groups, whose IDs are the account's own).
func goneKey(channel int64, id int) string {
	return strconv.FormatInt(channel, 10) + "/" + strconv.Itoa(id)
}

// noteDeleted remembers the messages u deletes, if it deletes any.
func (g *goneMessages) noteDeleted(u tg.UpdateClass) {
	var channel int64
	var ids []int
	switch u := u.(type) {
	case *tg.UpdateDeleteMessages:
		ids = u.Messages
	case *tg.UpdateDeleteChannelMessages:
		channel, ids = u.ChannelID, u.Messages
	default:
		return
	}
	for _, id := range ids {
		g.Put(goneKey(channel, id), struct{}{}, goneLimit)
	}
}

// reactsToGone reports whether u is a reaction to a message deleted.
func (g *goneMessages) reactsToGone(u *tg.UpdateMessageReactions) bool {
	var channel int64
	if p, ok := u.Peer.(*tg.PeerChannel); ok {
		channel = p.ChannelID
	}
	_, gone := g.Get(goneKey(channel, u.MsgID))
	return gone
}
