package telegram

import (
	"context"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
)

// channelEvents answer updateChannel, by which Telegram says only that
// something of a channel or supergroup changed for the user: their
// rights, its title or picture, its default rights, whether they are
// still in it (left from another device, removed, banned). The channel
// is asked for again (channels.getChannels): one the user is no longer
// in ends its room (and its topics'); otherwise the room is described
// again (ChatInfo). A channel the session never saw asks nothing.
func (s *Session) channelEvents(ctx context.Context, id int64) []*pb.Event {
	api, _, err := s.client()
	if err != nil {
		return nil
	}
	in, err := s.peers.inputChannel(id)
	if err != nil {
		return nil
	}
	chat := channelID(id)
	if s.deleted.has(chat) {
		return nil // the user deleted it from here: its room ended then (delete.go)
	}
	removed := func(reason pb.ChatRemovedEvent_Reason, text string) []*pb.Event {
		return s.toTopics([]*pb.Event{{ChatId: chat, ChatType: s.peers.chatType(chat),
			Payload: &pb.Event_ChatRemoved{ChatRemoved: &pb.ChatRemovedEvent{Reason: reason, Text: text}}}})
	}
	res, err := api.ChannelsGetChannels(ctx, []tg.InputChannelClass{in})
	if tgerr.Is(err, "CHANNEL_PRIVATE") {
		s.peers.leave(id)
		return removed(pb.ChatRemovedEvent_REASON_BANNED, forbiddenText)
	}
	if err != nil {
		s.n.log().Warn("telegram: a channel's change not read", "login", s.login.LoginID, "chat", chat, "err", err)
		return nil
	}
	s.peers.add(nil, res.GetChats())
	for _, cc := range res.GetChats() {
		if cc.GetID() != id {
			continue
		}
		switch c := cc.(type) {
		case *tg.ChannelForbidden:
			return removed(pb.ChatRemovedEvent_REASON_BANNED, forbiddenText)
		case *tg.Channel:
			if c.Left {
				return removed(pb.ChatRemovedEvent_REASON_LEFT, "you are no longer in this group on Telegram (left from another device, or removed)")
			}
			info, err := s.ChatInfo(ctx, chat)
			if err != nil {
				if info = s.chatOf(chat); info == nil {
					return nil
				}
				info.Members = []*pb.Member{s.member(userID(s.self))}
			}
			return s.toTopics([]*pb.Event{{ChatId: chat, ChatType: info.Type, Payload: &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: info}}}})
		}
	}
	return nil
}

// channelInaccessible is gotd's OnChannelInaccessible for connection
// gen: Telegram refused a channel's difference (CHANNEL_PRIVATE: the
// user was removed or banned, or the channel deleted, perhaps while the
// gateway was away, which no later update says again: updateChannel has
// no pts). gotd stops following it; the channel is asked for again as
// for updateChannel, and its room ends. In the background: gotd's
// update loop must not wait for a request.
func (s *Session) channelInaccessible(gen int) func(int64) {
	return func(id int64) { go s.channelGone(gen, id) }
}

func (s *Session) channelGone(gen int, id int64) {
	s.mu.Lock()
	live := s.gen == gen && !s.stopped
	s.mu.Unlock()
	if !live {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), DialTimeout)
	defer cancel()
	if err := s.emitEvents(ctx, s.channelEvents(ctx, id)); err != nil {
		s.n.log().Error("telegram: a channel no longer followed: its events not kept", "login", s.login.LoginID, "chat", channelID(id), "err", err)
	}
}

// forbiddenText is why a channel Telegram no longer shows the user
// (channelForbidden, CHANNEL_PRIVATE) ended.
const forbiddenText = "Telegram no longer lets you in this group (banned or removed, or a private group you left)"

// basicGroupRightsEvents answer updateChatDefaultBannedRights of a basic
// group (a supergroup's change comes as updateChannel, or as this with
// its peer): its members may now send, or not, change its info, pin...
// so the room is described again, read-only or open, with what the user
// may do there.
func (s *Session) basicGroupRightsEvents(ctx context.Context, u *tg.UpdateChatDefaultBannedRights) []*pb.Event {
	switch p := u.Peer.(type) {
	case *tg.PeerChat:
		if c, ok := s.peers.chat(p.ChatID); ok {
			cp := *c
			cp.DefaultBannedRights = u.DefaultBannedRights
			s.peers.add(nil, []tg.ChatClass{&cp})
		}
		return s.describeAgain(ctx, chatID(p.ChatID))
	case *tg.PeerChannel:
		c, ok := s.peers.channel(p.ChannelID)
		if !ok {
			return nil
		}
		cp := *c
		cp.DefaultBannedRights = u.DefaultBannedRights
		s.peers.add(nil, []tg.ChatClass{&cp})
		return s.toTopics(s.describeAgain(ctx, channelID(p.ChannelID)))
	}
	return nil
}
