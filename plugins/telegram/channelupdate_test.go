package telegram

import (
	"context"
	"testing"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
)

// updateChannel (Telegram says only that something of the channel
// changed) asks for the channel again: the user no longer in it (left
// from another device, or removed; channelForbidden or CHANNEL_PRIVATE
// once banned) ends its room; a change of its title or of what members
// may do describes the room again. It was ignored: the room stayed, or
// kept its old name and rights. A channel never seen asks nothing.
func TestUpdateChannel(t *testing.T) {
	ctx := context.Background()
	in := &tg.InputChannel{ChannelID: 90, AccessHash: 9}
	group := func() *tg.Channel {
		return &tg.Channel{ID: 90, AccessHash: 9, Title: "Club", Megagroup: true, Photo: &tg.ChatPhotoEmpty{}}
	}
	for _, tc := range []struct {
		name   string
		answer func() (*tg.MessagesChats, error)
		reason pb.ChatRemovedEvent_Reason
	}{
		{"left", func() (*tg.MessagesChats, error) {
			c := group()
			c.Left = true
			return &tg.MessagesChats{Chats: []tg.ChatClass{c}}, nil
		}, pb.ChatRemovedEvent_REASON_LEFT},
		{"forbidden", func() (*tg.MessagesChats, error) {
			return &tg.MessagesChats{Chats: []tg.ChatClass{&tg.ChannelForbidden{ID: 90, AccessHash: 9, Title: "Club", Megagroup: true}}}, nil
		}, pb.ChatRemovedEvent_REASON_BANNED},
		{"private", func() (*tg.MessagesChats, error) {
			return nil, tgerr.New(400, "CHANNEL_PRIVATE")
		}, pb.ChatRemovedEvent_REASON_BANNED},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, mock := unitSession(t)
			s.peers.add(nil, []tg.ChatClass{group()})
			res, err := tc.answer()
			call := mock.ExpectCall(&tg.ChannelsGetChannelsRequest{ID: []tg.InputChannelClass{in}})
			if err != nil {
				call.ThenRPCErr(err.(*tgerr.Error))
			} else {
				call.ThenResult(res)
			}
			evs := s.convert(ctx, &tg.UpdateChannel{ChannelID: 90})
			if len(evs) != 1 || evs[0].ChatId != "-10090" || evs[0].GetChatRemoved() == nil || evs[0].GetChatRemoved().Reason != tc.reason {
				t.Fatalf("events %v: want the room ended, %v", evs, tc.reason)
			}
			if c := s.chatOf("-10090"); c != nil {
				t.Errorf("the chat %v is still one of the user's", c)
			}
		})
	}
	t.Run("changed", func(t *testing.T) {
		s, mock := unitSession(t)
		s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, []tg.ChatClass{group()})
		now := group()
		now.Title, now.DefaultBannedRights = "Quiet club", tg.ChatBannedRights{SendMessages: true}
		mock.ExpectCall(&tg.ChannelsGetChannelsRequest{ID: []tg.InputChannelClass{in}}).ThenResult(&tg.MessagesChats{Chats: []tg.ChatClass{now}})
		mock.ExpectCall(&tg.ChannelsGetFullChannelRequest{Channel: in}).
			ThenResult(&tg.MessagesChatFull{FullChat: &tg.ChannelFull{ID: 90, About: "shh", ChatPhoto: &tg.PhotoEmpty{}}, Chats: []tg.ChatClass{now}})
		mock.ExpectCall(&tg.ChannelsGetParticipantsRequest{Channel: in, Filter: &tg.ChannelParticipantsRecent{}, Limit: memberPage}).
			ThenResult(&tg.ChannelsChannelParticipants{Count: 2, Participants: []tg.ChannelParticipantClass{
				&tg.ChannelParticipantCreator{UserID: 1002, AdminRights: tg.ChatAdminRights{}},
				&tg.ChannelParticipantSelf{UserID: 1001, InviterID: 1002, Date: 1},
			}})
		evs := s.convert(ctx, &tg.UpdateChannel{ChannelID: 90})
		if len(evs) != 1 || evs[0].GetChat() == nil {
			t.Fatalf("events %v: want the chat described again", evs)
		}
		if c := evs[0].GetChat().Chat; c.ChatId != "-10090" || c.Name != "Quiet club" || !c.ReadOnly || c.Topic != "shh" || len(c.Members) != 2 {
			t.Errorf("chat %v: want it renamed, read-only, with its members", c)
		}
		if lim, _ := s.ChatLimits(ctx, "-10090"); !lim.ReadOnly {
			t.Errorf("limits %v: want read-only", lim)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		s, _ := unitSession(t)
		if evs := s.convert(ctx, &tg.UpdateChannel{ChannelID: 91}); len(evs) != 0 {
			t.Errorf("events %v for a channel never seen", evs)
		}
	})
}
