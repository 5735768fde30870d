package telegram

import (
	"context"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"passerelle.im/passerelle/plugins/sdk"
)

var _ sdk.Unbanner = (*Session)(nil)

// Unban lifts a ban (sdk.Unbanner). In a supergroup or channel it is
// channels.editBanned with no banned right, for someone Telegram has as
// banned (view_messages) or not as a participant at all; a member, muted
// or not, is left as they are: an empty right would lift a mute too. A
// basic group has no ban list (a ban there was a removal, Kick): there
// is nothing to lift, and they may be added again.
func (s *Session) Unban(ctx context.Context, c sdk.Call, userID string) error {
	if s.bot != nil {
		return s.bot.Unban(ctx, c, userID)
	}
	api, mgr, err := s.client()
	if err != nil {
		return err
	}
	kind, id, user, err := s.groupMember(c.ChatID, userID) // in a topic: its forum's
	if err != nil {
		return err
	}
	if kind == peerChat {
		return nil
	}
	ch, err := s.peers.inputChannel(id)
	if err != nil {
		return err
	}
	who := &tg.InputPeerUser{UserID: user.UserID, AccessHash: user.AccessHash}
	res, err := api.ChannelsGetParticipant(ctx, &tg.ChannelsGetParticipantRequest{Channel: ch, Participant: who})
	switch {
	case tgerr.Is(err, "USER_NOT_PARTICIPANT"):
	case err != nil:
		return cmdErr("lift the ban", err)
	default:
		s.peers.add(res.Users, res.Chats)
		if p, ok := res.Participant.(*tg.ChannelParticipantBanned); !ok || !p.BannedRights.ViewMessages {
			return nil // not banned: in the group, or gone of their own accord
		}
	}
	upd, err := api.ChannelsEditBanned(ctx, &tg.ChannelsEditBannedRequest{Channel: ch, Participant: who})
	if err != nil {
		return cmdErr("lift the ban", err)
	}
	s.banLists.changed(id, s.member(userID), false)
	_ = mgr.Handle(ctx, upd)
	return nil
}
