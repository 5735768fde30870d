package telegram

import (
	"context"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A basic group that becomes a supergroup (Telegram gives it a new ID;
// the old one gets no more messages): the old group's service message
// ends its room, naming the new one, with its archive kept (the user
// left it, not deleted); the supergroup's comes as a new room with its
// members. Neither in the history.
func TestGroupMigratedToSupergroup(t *testing.T) {
	s, mock := unitSession(t)
	old := &tg.Chat{ID: 77, Title: "Wonderland", Photo: &tg.ChatPhotoEmpty{}, Deactivated: true}
	old.SetMigratedTo(&tg.InputChannel{ChannelID: 900, AccessHash: 99})
	sg := &tg.Channel{ID: 900, AccessHash: 99, Title: "Wonderland", Megagroup: true, Photo: &tg.ChatPhotoEmpty{}}
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, []tg.ChatClass{old, sg})
	ctx := context.Background()

	to := &tg.MessageService{ID: 40, PeerID: &tg.PeerChat{ChatID: 77}, FromID: &tg.PeerUser{UserID: 1002}, Date: 1700000000,
		Action: &tg.MessageActionChatMigrateTo{ChannelID: 900}}
	evs := s.messageEvents(ctx, to, false)
	if len(evs) != 1 || evs[0].ChatId != "-77" || evs[0].GetChatRemoved() == nil {
		t.Fatalf("migrated to: %v, want the old room's end", evs)
	}
	if r := evs[0].GetChatRemoved(); r.Reason != pb.ChatRemovedEvent_REASON_LEFT || r.ReplacedBy != "-100900" {
		t.Errorf("the old room's end %v: want it left (archive kept), replaced by -100900", r)
	}

	mock.ExpectCall(&tg.ChannelsGetFullChannelRequest{Channel: &tg.InputChannel{ChannelID: 900, AccessHash: 99}}).
		ThenResult(&tg.MessagesChatFull{FullChat: &tg.ChannelFull{ID: 900, About: "tea party", ChatPhoto: &tg.PhotoEmpty{}}, Chats: []tg.ChatClass{sg}})
	mock.ExpectCall(&tg.ChannelsGetParticipantsRequest{Channel: &tg.InputChannel{ChannelID: 900, AccessHash: 99}, Filter: &tg.ChannelParticipantsRecent{}, Limit: memberPage}).
		ThenResult(&tg.ChannelsChannelParticipants{Count: 2, Participants: []tg.ChannelParticipantClass{
			&tg.ChannelParticipantCreator{UserID: 1002, AdminRights: tg.ChatAdminRights{}},
			&tg.ChannelParticipantSelf{UserID: 1001, InviterID: 1002, Date: 1},
		}})
	from := &tg.MessageService{ID: 1, PeerID: &tg.PeerChannel{ChannelID: 900}, FromID: &tg.PeerUser{UserID: 1002}, Date: 1700000000,
		Action: &tg.MessageActionChannelMigrateFrom{Title: "Wonderland", ChatID: 77}}
	evs = s.messageEvents(ctx, from, false)
	if len(evs) != 1 || evs[0].GetChat() == nil {
		t.Fatalf("migrated from: %v, want the supergroup's room", evs)
	}
	if c := evs[0].GetChat().Chat; c.ChatId != "-100900" || c.Name != "Wonderland" || len(c.Members) != 2 {
		t.Errorf("the new room %v", c)
	}

	if evs := s.messageEvents(ctx, to, true); len(evs) != 0 {
		t.Errorf("history, migrated to: %v", evs)
	}
	if evs := s.messageEvents(ctx, from, true); len(evs) != 0 {
		t.Errorf("history, migrated from: %v", evs)
	}
}
