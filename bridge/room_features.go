package bridge

import (
	"context"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// What the user may do in one room: the login's features narrowed by
// the chat's own (Chat.features: a Signal group where only admins edit
// its details, a Telegram group where the user has no right to change
// its info, a channel). The plugin's SDK fills them in its ChatList and
// ChatInfo answers, where unset means the network's; a chat event
// carries them only when it says so, so an event without them leaves
// what the last answer said.

// takeFeaturesLocked takes the features a chat description says, if
// it says any. Call with r.mu held.
func (r *room) takeFeaturesLocked(c *pb.Chat) {
	if f := c.GetFeatures(); f != nil {
		r.features = f
	}
}

// setRoomFromAnswer is setRoom for a chat the network described when
// asked (ChatList, ChatInfo): its features unset are the network's,
// no narrower ones of an earlier answer. Taken beside the chat's worker,
// its presences keep the room's order of writes (setRoom); asked is the
// roomSet's news count before the question (setRoomAsOf).
func (s *session) setRoomFromAnswer(ctx context.Context, c *pb.Chat, asked uint64) *room {
	r := s.setRoomAsOf(ctx, c, asked)
	if r != nil {
		r.mu.Lock()
		r.features = c.GetFeatures()
		r.mu.Unlock()
	}
	return r
}

// roomFeatures is what the user may do in r.
func (s *session) roomFeatures(r *room) *pb.Features {
	f := s.features()
	r.mu.Lock()
	own := r.features
	r.mu.Unlock()
	if own == nil || f == nil {
		return f
	}
	return sdk.IntersectFeatures(f, own)
}
