package botmode

import (
	"context"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A group's or channel's picture is its room's avatar. getChat names it
// (photo.big_file_id; its big_file_unique_id is the room's avatar_id, so
// the gateway fetches it again only when it changes): looked up when the
// bot first sees the chat, or when the gateway first asks about a chat
// seen before. A new_chat_photo or delete_chat_photo service message
// tells a change: the chat's description comes again with the new
// avatar_id, or no_avatar. A forum topic's room has the forum's picture.

// pictureOf is a chat's photo as the chat list keeps it; nil = none.
func pictureOf(p *models.ChatPhoto) *avatar {
	if p == nil || p.BigFileID == "" {
		return nil
	}
	return &avatar{FileID: p.BigFileID, UniqueID: p.BigFileUniqueID}
}

// newPictureOf is the picture a new_chat_photo message brings: its
// largest size up to 640 pixels (getChat's big size), else its smallest.
func newPictureOf(sizes []models.PhotoSize) *avatar {
	var best *models.PhotoSize
	for i := range sizes {
		p := &sizes[i]
		switch {
		case best == nil:
			best = p
		case best.Width > 640 && p.Width < best.Width:
			best = p
		case p.Width <= 640 && p.Width > best.Width:
			best = p
		}
	}
	if best == nil {
		return nil
	}
	return &avatar{FileID: best.FileID, UniqueID: best.FileUniqueID}
}

// learnPicture asks Telegram for a chat's picture and keeps it with the
// chat, when the chat is one the bot knows.
func (s *Session) learnPicture(ctx context.Context, id int64) (*avatar, error) {
	info, err := s.bot.GetChat(ctx, &bot.GetChatParams{ChatID: id})
	if err != nil {
		return nil, commandError("looking up the chat's picture", err)
	}
	a := pictureOf(info.Photo)
	if _, ok := s.chats.head(id); ok {
		s.chats.update(id, func(c *chat) { c.Avatar, c.AvatarKnown = a, true })
	}
	return a, nil
}

// knowPicture fills c's picture when it was never looked up (a chat seen
// before pictures were, or whose lookup failed). A failure leaves it
// unsaid, in the log.
func (s *Session) knowPicture(ctx context.Context, c *chat) {
	if c.AvatarKnown || c.Type == models.ChatTypePrivate || s.bot == nil {
		return
	}
	a, err := s.learnPicture(ctx, c.ID)
	if err != nil {
		s.log.Info("telegram bot: a chat's picture could not be looked up", "chat", c.ID, "err", err)
		return
	}
	c.Avatar, c.AvatarKnown = a, true
}

// pictureChanged takes a new_chat_photo or delete_chat_photo message
// into the chat list and returns the chat's new description, for its
// room and its topics' rooms; nil for any other message.
func (s *Session) pictureChanged(m *models.Message) []*pb.Event {
	if len(m.NewChatPhoto) == 0 && !m.DeleteChatPhoto {
		return nil
	}
	a := newPictureOf(m.NewChatPhoto)
	s.chats.update(m.Chat.ID, func(c *chat) { c.Avatar, c.AvatarKnown = a, true })
	return s.chatChanged(&m.Chat, m.Date, senderOf(m))
}

// ChatAvatar is a group's or channel's picture (sdk.ChatAvatarer), nil
// when it has none; a forum topic's is its forum's.
func (s *Session) ChatAvatar(ctx context.Context, chatID string) ([]byte, string, error) {
	id, _, err := splitTopic(chatID)
	if err != nil {
		return nil, "", err
	}
	if s.bot == nil {
		return nil, "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "telegram bot: not logged in")
	}
	c, known := s.chats.head(id)
	if known && c.Type == models.ChatTypePrivate {
		return nil, "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%s is a person, not a group", chatID)
	}
	a := c.Avatar
	if !known || !c.AvatarKnown {
		if a, err = s.learnPicture(ctx, id); err != nil {
			return nil, "", err
		}
	}
	if a == nil {
		return nil, "", nil
	}
	data, err := s.avatarBytes(ctx, a)
	if err != nil {
		return nil, "", err
	}
	return data, "image/jpeg", nil
}
