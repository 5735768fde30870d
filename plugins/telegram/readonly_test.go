package telegram

import (
	"context"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A group whose default rights say "members may not send messages" is a
// read-only room for a member (ChatLimits, the chat list, the member
// list: every one but the admins a visitor), a basic group and a
// supergroup alike; for its admins and creator it is not. It was open
// to all: only a channel could be read-only.
func TestDefaultRightsReadOnly(t *testing.T) {
	s, mock := unitSession(t)
	ctx := context.Background()
	noSend := tg.ChatBannedRights{SendMessages: true}
	basic := &tg.Chat{ID: 81, Title: "Quiet", Photo: &tg.ChatPhotoEmpty{}, DefaultBannedRights: noSend}
	super := &tg.Channel{ID: 82, AccessHash: 8, Title: "Quieter", Megagroup: true, Photo: &tg.ChatPhotoEmpty{}, DefaultBannedRights: noSend}
	mine := &tg.Channel{ID: 83, AccessHash: 9, Title: "Mine", Megagroup: true, Photo: &tg.ChatPhotoEmpty{}, DefaultBannedRights: noSend,
		AdminRights: tg.ChatAdminRights{DeleteMessages: true}}
	open := &tg.Channel{ID: 84, AccessHash: 10, Title: "Open", Megagroup: true, Photo: &tg.ChatPhotoEmpty{}}
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, []tg.ChatClass{basic, super, mine, open})
	for chat, want := range map[string]bool{"-81": true, "-10082": true, "-10083": false, "-10084": false} {
		lim, err := s.ChatLimits(ctx, chat)
		if err != nil || lim.ReadOnly != want {
			t.Errorf("%s: limits %v %v, want read-only %v", chat, lim, err, want)
		}
		if c := s.chatOf(chat); c == nil || c.ReadOnly != want {
			t.Errorf("%s: chat %v, want read-only %v", chat, c, want)
		}
	}
	mock.ExpectCall(&tg.MessagesGetFullChatRequest{ChatID: 81}).ThenResult(&tg.MessagesChatFull{
		FullChat: &tg.ChatFull{ID: 81, Participants: &tg.ChatParticipants{ChatID: 81, Version: 1, Participants: []tg.ChatParticipantClass{
			&tg.ChatParticipantCreator{UserID: 1002}, &tg.ChatParticipant{UserID: 1001, InviterID: 1002, Date: 1}}}},
		Chats: []tg.ChatClass{basic}})
	info, err := s.ChatInfo(ctx, "-81")
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]pb.Role{}
	for _, m := range info.Members {
		roles[m.UserId] = m.Role
	}
	if !info.ReadOnly || roles["1001"] != pb.Role_ROLE_VISITOR || roles["1002"] != pb.Role_ROLE_MODERATOR {
		t.Errorf("basic group %v: want read-only, the user a visitor, the creator a moderator", info)
	}
	mock.ExpectCall(&tg.ChannelsGetFullChannelRequest{Channel: &tg.InputChannel{ChannelID: 82, AccessHash: 8}}).
		ThenResult(&tg.MessagesChatFull{FullChat: &tg.ChannelFull{ID: 82, ChatPhoto: &tg.PhotoEmpty{}}, Chats: []tg.ChatClass{super}})
	mock.ExpectCall(&tg.ChannelsGetParticipantsRequest{Channel: &tg.InputChannel{ChannelID: 82, AccessHash: 8}, Filter: &tg.ChannelParticipantsRecent{}, Limit: memberPage}).
		ThenResult(&tg.ChannelsChannelParticipants{Count: 3, Participants: []tg.ChannelParticipantClass{
			&tg.ChannelParticipantCreator{UserID: 1002, AdminRights: tg.ChatAdminRights{}},
			&tg.ChannelParticipant{UserID: 1003, Date: 1},
			&tg.ChannelParticipantSelf{UserID: 1001, InviterID: 1002, Date: 1},
		}})
	info, err = s.ChatInfo(ctx, "-10082")
	if err != nil {
		t.Fatal(err)
	}
	roles = map[string]pb.Role{}
	for _, m := range info.Members {
		roles[m.UserId] = m.Role
	}
	if !info.ReadOnly || roles["1001"] != pb.Role_ROLE_VISITOR || roles["1003"] != pb.Role_ROLE_VISITOR || roles["1002"] != pb.Role_ROLE_MODERATOR {
		t.Errorf("supergroup %v: want read-only, members visitors, the creator a moderator", info)
	}
}

// A basic group's default rights changed on Telegram ("members may not
// send messages" set from another device) describe its room again,
// read-only, its members but the creator visitors: it stayed open.
func TestBasicGroupRightsUpdate(t *testing.T) {
	s, mock := unitSession(t)
	open := &tg.Chat{ID: 81, Title: "Quiet", Photo: &tg.ChatPhotoEmpty{}}
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, []tg.ChatClass{open})
	noSend := tg.ChatBannedRights{SendMessages: true}
	quiet := *open
	quiet.DefaultBannedRights = noSend
	mock.ExpectCall(&tg.MessagesGetFullChatRequest{ChatID: 81}).ThenResult(&tg.MessagesChatFull{
		FullChat: &tg.ChatFull{ID: 81, Participants: &tg.ChatParticipants{ChatID: 81, Version: 2, Participants: []tg.ChatParticipantClass{
			&tg.ChatParticipantCreator{UserID: 1002}, &tg.ChatParticipant{UserID: 1001, InviterID: 1002, Date: 1}}}},
		Chats: []tg.ChatClass{&quiet}})
	evs := s.convert(context.Background(), &tg.UpdateChatDefaultBannedRights{Peer: &tg.PeerChat{ChatID: 81}, DefaultBannedRights: noSend, Version: 2})
	if len(evs) != 1 || evs[0].ChatId != "-81" || !evs[0].GetChat().GetChat().GetReadOnly() {
		t.Fatalf("events %v: want the group read-only", evs)
	}
	for _, m := range evs[0].GetChat().GetChat().GetMembers() {
		if want := map[string]pb.Role{"1002": pb.Role_ROLE_MODERATOR, "1001": pb.Role_ROLE_VISITOR}[m.UserId]; m.Role != want {
			t.Errorf("member %v: want role %v", m, want)
		}
	}
}
