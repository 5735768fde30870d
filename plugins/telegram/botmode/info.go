package botmode

import (
	"cmp"
	"context"
	"strconv"
	"strings"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// contactOf is the contact of a private chat as seen.
func (s *Session) contactOf(id int64) *pb.Contact {
	c, _ := s.chats.get(id)
	uid := strconv.FormatInt(id, 10)
	name := c.Name
	if name == "" {
		name = uid
	}
	out := &pb.Contact{UserId: uid, Name: name, Username: c.Username, ChatId: uid}
	if c.Avatar != nil {
		out.AvatarId = c.Avatar.UniqueID
	}
	return out
}

// chatOf describes a group or channel for the contract.
func (s *Session) chatOf(c *chat, me Identity) *pb.Chat {
	f := Features()
	narrowByRights(f, c)
	out := &pb.Chat{ChatId: chatIDString(c.ID), Type: c.chatType(), Name: c.Title, ReadOnly: c.readOnly() || c.closedTo(0), // 0: General, topics.go
		Features: f, LastActivityUnixMicro: c.LastActive * 1_000_000}
	switch {
	case c.Avatar != nil:
		out.AvatarId = c.Avatar.UniqueID
	case c.AvatarKnown:
		out.NoAvatar = true
	}
	if c.isGroup() {
		out.Members = c.members(me)
	} else {
		out.Members = []*pb.Member{{UserId: strconv.FormatInt(me.ID, 10), Nick: me.Name, IsSelf: true,
			Affiliation: c.botAffiliation(), Role: roleOf(c.botAffiliation())}}
		if c.readOnly() {
			out.Members[0].Role = pb.Role_ROLE_VISITOR
		}
	}
	return out
}

// ContactList is the people who wrote to the bot in private.
func (s *Session) ContactList(context.Context) ([]*pb.Contact, error) {
	var out []*pb.Contact
	for _, c := range s.chats.all() {
		if c.Type == models.ChatTypePrivate {
			out = append(out, s.contactOf(c.ID))
		}
	}
	return out, nil
}

// UserInfo describes a person: as seen, or from getChat for one the
// bot has met (Telegram tells a bot only about those); the bot itself,
// by its member ID or the login ID, as ownInfo.
func (s *Session) UserInfo(ctx context.Context, userID string) (*pb.Contact, error) {
	if me := s.identity(); me.ID != 0 && (userID == s.cfg.LoginID || userID == strconv.FormatInt(me.ID, 10)) {
		return s.ownInfo(ctx, me)
	}
	id, err := strconv.ParseInt(userID, 10, 64)
	if err != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%q is not a Telegram user ID", userID)
	}
	if c, ok := s.chats.get(id); ok && c.Type == models.ChatTypePrivate {
		if s.bot == nil {
			return s.contactOf(id), nil
		}
		return s.withAvatar(ctx, s.contactOf(id), c.Avatar), nil
	}
	for _, c := range s.chats.all() {
		if m, ok := c.Members[id]; ok {
			return &pb.Contact{UserId: userID, Name: m.Name, Username: m.Username, IsBot: m.IsBot}, nil
		}
	}
	if s.bot == nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "telegram bot: not logged in")
	}
	info, err := s.bot.GetChat(ctx, &bot.GetChatParams{ChatID: id})
	if err != nil {
		return nil, commandError("looking this person up", err)
	}
	if info.Type != models.ChatTypePrivate {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%s is a chat, not a person", userID)
	}
	return &pb.Contact{UserId: userID, Username: info.Username,
		Name: userName(&models.User{ID: id, FirstName: info.FirstName, LastName: info.LastName, Username: info.Username})}, nil
}

// ownInfo is the bot's own profile (the gateway asks it for the user's
// own nick in a room): its name and username from getMe, with its
// profile photo. getChat of the bot's own ID is refused ("chat not
// found"), but getUserProfilePhotos of it answers; a photo not found is
// the profile without a picture.
func (s *Session) ownInfo(ctx context.Context, me Identity) (*pb.Contact, error) {
	uid := strconv.FormatInt(me.ID, 10)
	out := &pb.Contact{UserId: uid, Name: cmp.Or(me.Name, uid), Username: me.Username, IsBot: true}
	if s.bot == nil {
		return out, nil
	}
	photos, err := s.bot.GetUserProfilePhotos(ctx, &bot.GetUserProfilePhotosParams{UserID: me.ID, Limit: 1})
	if err != nil {
		s.log.Info("telegram bot: the bot's own profile photo could not be looked up", "err", err)
		return out, nil
	}
	if len(photos.Photos) == 0 {
		return out, nil
	}
	if p, ok := avatarSize(photos.Photos[0]); ok {
		out.AvatarId = p.FileUniqueID
		if out = s.withAvatar(ctx, out, &avatar{FileID: p.FileID, UniqueID: p.FileUniqueID}); out.Avatar == nil {
			out.AvatarId = ""
		}
	}
	return out, nil
}

// ChatInfo describes a chat the bot has seen, or asks Telegram; with
// its timer and its latest pin (getChat, chatstate.go).
func (s *Session) ChatInfo(ctx context.Context, chatID string) (*pb.Chat, error) {
	if strings.Contains(chatID, topicSep) {
		return s.topicInfo(ctx, chatID)
	}
	id, err := strconv.ParseInt(chatID, 10, 64)
	if err != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%q is not a Telegram chat ID", chatID)
	}
	me := s.identity()
	c, ok := s.chats.get(id)
	if !ok {
		if s.bot == nil {
			return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "telegram bot: not logged in")
		}
		info, err := s.getChat(ctx, id) // chatstate.go
		if err != nil {
			return nil, commandError("looking this chat up", err)
		}
		c = chat{ID: info.ID, Type: info.Type, Title: info.Title, Username: info.Username,
			Name:   userName(&models.User{ID: id, FirstName: info.FirstName, LastName: info.LastName, Username: info.Username}),
			Avatar: pictureOf(info.Photo), AvatarKnown: true}
	} else {
		s.knowPicture(ctx, &c)
	}
	if c.Type == models.ChatTypePrivate {
		return s.withState(ctx, &pb.Chat{ChatId: chatID, Type: pb.ChatType_CHAT_TYPE_DIRECT, Name: c.Name,
			LastActivityUnixMicro: c.LastActive * 1_000_000}, id, 0), nil
	}
	out := s.chatOf(&c, me)
	if c.Username != "" {
		// A public group's or channel's link, anyone's to share; a
		// private one's the Bot API gives only in a getChat call.
		out.InviteLink = "https://t.me/" + c.Username
	}
	return s.withState(ctx, out, id, 0), nil
}

// ChatList is the groups and channels the bot has seen, most recently
// active first, each forum followed by the topics the bot has seen.
func (s *Session) ChatList(context.Context) ([]*pb.Chat, error) {
	me := s.identity()
	var out []*pb.Chat
	for _, c := range s.chats.all() {
		if c.Type != models.ChatTypePrivate {
			out = append(out, s.chatOf(&c, me))
			out = append(out, s.topicChats(&c, me)...)
		}
	}
	return out, nil
}

// parseChatID reads a chat or user ID as the Bot API writes it.
func parseChatID(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }
