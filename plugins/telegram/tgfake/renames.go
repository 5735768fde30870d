package tgfake

import (
	"slices"
	"strings"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

// Renaming a group, as on Telegram: messages.editChatTitle (a basic
// group), channels.editTitle (a supergroup or channel), refused to a
// member who is no admin where only admins may change the group's info
// (CHAT_ADMIN_REQUIRED), an empty title (CHAT_TITLE_EMPTY) and the title
// the group has (CHAT_NOT_MODIFIED). Every member gets the service
// message (messageActionChatEditTitle); the member who asked gets theirs
// as the answer.
func (s *Server) registerRenames(d *tgtest.Dispatcher) {
	title := func(old, title string) error {
		switch {
		case strings.TrimSpace(title) == "":
			return tgerr.New(400, "CHAT_TITLE_EMPTY")
		case title == old:
			return tgerr.New(400, "CHAT_NOT_MODIFIED")
		}
		return nil
	}
	handle(s, d, tg.MessagesEditChatTitleRequestTypeID, "messages.editChatTitle", func(k *key, r *tg.MessagesEditChatTitleRequest) (bin.Encoder, error) {
		g, err := s.groupOf(k, &tg.InputPeerChat{ChatID: r.ChatID})
		if err != nil {
			return nil, err
		}
		if g.AdminsChangeInfo && k.user != g.Creator && !slices.Contains(g.Admins, k.user) {
			return nil, tgerr.New(400, "CHAT_ADMIN_REQUIRED")
		}
		if err := title(g.Title, r.Title); err != nil {
			return nil, err
		}
		g.Title = r.Title
		mine := s.postGroupService(g, k.user, &tg.MessageActionChatEditTitle{Title: r.Title})
		return &tg.Updates{Updates: []tg.UpdateClass{mine}, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user), Date: now()}, nil
	})
	handle(s, d, tg.ChannelsEditTitleRequestTypeID, "channels.editTitle", func(k *key, r *tg.ChannelsEditTitleRequest) (bin.Encoder, error) {
		c, err := s.channelOf(k, r.Channel)
		if err != nil {
			return nil, err
		}
		if (c.Broadcast || c.AdminsChangeInfo) && !c.isAdmin(k.user) {
			return nil, tgerr.New(400, "CHAT_ADMIN_REQUIRED")
		}
		if err := title(c.Title, r.Title); err != nil {
			return nil, err
		}
		c.Title = r.Title
		m := s.postService(c, k.user, &tg.MessageActionChatEditTitle{Title: r.Title})
		return &tg.Updates{Updates: []tg.UpdateClass{&tg.UpdateNewChannelMessage{Message: viewService(m, k.user), Pts: c.pts, PtsCount: 1}},
			Users: s.usersFor(k.user), Chats: s.chatsFor(k.user), Date: now()}, nil
	})
}

// RenameChannel is a member renaming a supergroup or channel: every
// member gets the service message (messageActionChatEditTitle), as on
// Telegram.
func (s *Server) RenameChannel(channel, from int64, title string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	c.Title = title
	s.postService(c, from, &tg.MessageActionChatEditTitle{Title: title})
}

// RenameSelf is user changing their own name on their phone: their other
// devices get updateUserName, as on Telegram.
func (s *Server) RenameSelf(user int64, first, last string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[user]
	u.FirstName, u.LastName = first, last
	s.push(user, &tg.UpdateUserName{UserID: user, FirstName: first, LastName: last, Usernames: []tg.Username{}})
}
