package whatsapp

import (
	"context"
	"errors"
	"strings"
	"time"

	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Following and leaving WhatsApp channels from XMPP. A channel is
// followed by joining its room, <id>@newsletter, or joinchat@ with the
// channel's link (https://whatsapp.com/channel/CODE) as the password,
// as a group is joined by its link: the join is answered with the
// channel's room, announced as a new chat. Leaving the room unfollows
// it; the gateway then drops the room, as it does a group's left. A
// channel followed or left on another device (WhatsApp's mex
// notifications) comes or goes as a group joined or left there does.

// channelLinkHost is the host and path of WhatsApp's channel links.
const channelLinkHost = "whatsapp.com/channel/"

// channelLinkCode is the code of a channel's link in any of its
// spellings (https or http, www. or not, a trailing slash or query);
// false when s is no channel link.
func channelLinkCode(s string) (string, bool) {
	lower := strings.ToLower(s)
	for _, scheme := range []string{"https://", "http://"} {
		if strings.HasPrefix(lower, scheme) {
			s, lower = s[len(scheme):], lower[len(scheme):]
			break
		}
	}
	if strings.HasPrefix(lower, "www.") {
		s, lower = s[len("www."):], lower[len("www."):]
	}
	if !strings.HasPrefix(lower, channelLinkHost) {
		return "", false
	}
	s = s[len(channelLinkHost):]
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSuffix(s, "/")
	return s, true
}

// followChannelLink follows the channel of a link's code and answers
// with its room.
func (s *Session) followChannelLink(ctx context.Context, code string) (string, error) {
	if !validCode(code) {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: %q is no WhatsApp channel's link: give a link such as https://%sAbCdEf123 as the room's password", code, channelLinkHost)
	}
	m, err := s.d.cli.GetNewsletterInfoWithInvite(ctx, code)
	if notFoundGQL(err) || err == nil && m == nil {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: no WhatsApp channel has the link https://%s%s: check it, capitals included", channelLinkHost, code)
	}
	if err != nil {
		return "", s.sendErr("look up the channel's link", err)
	}
	return s.followChannel(ctx, m.ID.ToNonAD())
}

// followChannel follows channel jid, unless the user does already, and
// announces its room, answering with its chat ID.
func (s *Session) followChannel(ctx context.Context, jid types.JID) (string, error) {
	m, err := s.d.cli.GetNewsletterInfo(ctx, jid)
	if notFoundGQL(err) || err == nil && m == nil {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: WhatsApp has no channel %s: follow one by joining %s@ this transport with its link (https://%s…) as the password", jid, inviteRoom, channelLinkHost)
	}
	if err != nil {
		return "", s.sendErr("look up the channel "+jid.String(), err)
	}
	if notFollowed(m) {
		if err := s.d.cli.FollowNewsletter(ctx, jid); err != nil {
			if notFoundGQL(err) {
				return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: WhatsApp has no channel %s to follow", jid)
			}
			return "", s.sendErr("follow the channel "+jid.String(), err)
		}
		s.log.Info("followed a WhatsApp channel", "channel", jid)
		// Described again for the user's role in it now; as a follower
		// when WhatsApp does not say.
		if again, err := s.d.cli.GetNewsletterInfo(ctx, jid); err == nil && again != nil && !notFollowed(again) {
			m = again
		} else {
			m.ViewerMeta = &types.NewsletterViewerMetadata{Role: types.NewsletterRoleSubscriber}
		}
	}
	return s.announceChannel(m).ChatId, nil
}

// announceChannel announces the room of the channel m describes (the
// same chat again is no change) and returns its chat.
func (s *Session) announceChannel(m *types.NewsletterMetadata) *pb.Chat {
	chat := s.channelChat(m)
	s.emit(&pb.Event{ChatId: chat.ChatId, ChatType: pb.ChatType_CHAT_TYPE_CHANNEL,
		TimestampUnixMicro: time.Now().UnixMicro(), Payload: &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: chat}}})
	return chat
}

// unfollowChannel stops following channel jid (LeaveChat).
func (s *Session) unfollowChannel(ctx context.Context, jid types.JID) error {
	if err := s.d.cli.UnfollowNewsletter(ctx, jid); err != nil {
		if notFoundGQL(err) {
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: WhatsApp has no channel %s", jid)
		}
		return s.sendErr("leave the channel "+jid.String(), err)
	}
	s.channels.forget(jid)
	s.seen.forget(jid)
	s.log.Info("left a WhatsApp channel", "channel", jid)
	return nil
}

// notFoundGQL says whether err is WhatsApp's GraphQL error 404: no such
// channel.
func notFoundGQL(err error) bool {
	var gql types.GraphQLError
	return errors.As(err, &gql) && gql.Extensions.ErrorCode == 404
}

// channelFollowed announces the room of a channel the user followed on
// another device (or here: the same chat again is no change).
func (s *Session) channelFollowed(m *types.NewsletterMetadata) {
	if m == nil || !isChannel(m.ID) {
		return
	}
	if m.ViewerMeta == nil {
		m.ViewerMeta = &types.NewsletterViewerMetadata{Role: types.NewsletterRoleSubscriber}
	}
	s.announceChannel(m)
}

// channelUnfollowed removes the room of a channel the user left on
// another device.
func (s *Session) channelUnfollowed(jid types.JID) {
	if !isChannel(jid) {
		return
	}
	s.channels.forget(jid)
	s.seen.forget(jid)
	s.emit(&pb.Event{ChatId: jid.String(), ChatType: pb.ChatType_CHAT_TYPE_CHANNEL, TimestampUnixMicro: time.Now().UnixMicro(),
		Payload: &pb.Event_ChatRemoved{ChatRemoved: &pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_LEFT}}})
}
