package botmode

import (
	"bytes"
	"context"
	"strings"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"passerelle.im/passerelle/plugins/picture"
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
	info, err := s.getChat(ctx, id) // chatstate.go
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

// pictureSide is the side of the square picture a chat gets: Telegram
// keeps a chat's picture at most 640 pixels wide (getChat's big size),
// and its own apps upload a 640-pixel square.
const pictureSide = 640

// SetChatAvatar sets or removes a group's or channel's picture
// (sdk.ChatAvatarSetter): setChatPhoto with the picture as a square JPEG,
// or deleteChatPhoto; Telegram lets an admin with the right to change
// the chat's info. Telegram does not tell a bot of its own service
// messages: the new picture is looked up (getChat) and the rooms told
// here. A forum topic has no picture of its own: the forum's is set from
// the forum's room.
func (s *Session) SetChatAvatar(ctx context.Context, c sdk.Call, a *pb.SetChatAvatar) error {
	chatID, _, err := s.target(c, "")
	if err != nil {
		return err
	}
	if err := notTopic(c.ChatID, "set the forum's picture"); err != nil {
		return err
	}
	if len(a.Data) == 0 {
		_, err := s.bot.DeleteChatPhoto(ctx, &bot.DeleteChatPhotoParams{ChatID: chatID})
		if err != nil && !strings.Contains(err.Error(), "CHAT_NOT_MODIFIED") { // none to remove: none it is
			return commandError("removing the chat's picture", err)
		}
	} else {
		jpg, err := picture.JPEG(a.Data, pictureSide, true)
		if err != nil {
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram bot: %v", err)
		}
		up := &models.InputFileUpload{Filename: "picture.jpg", Data: bytes.NewReader(jpg)}
		if _, err := s.bot.SetChatPhoto(ctx, &bot.SetChatPhotoParams{ChatID: chatID, Photo: up}); err != nil {
			return commandError("setting the chat's picture", err)
		}
	}
	cur, ok := s.chats.head(chatID)
	if !ok {
		return nil // a chat the bot never saw: its room comes with its first message
	}
	if len(a.Data) == 0 {
		s.chats.update(chatID, func(ch *chat) { ch.Avatar, ch.AvatarKnown = nil, true })
	} else if _, err := s.learnPicture(ctx, chatID); err != nil {
		// Set on Telegram all the same: looked up when the gateway next
		// asks about the chat.
		s.chats.update(chatID, func(ch *chat) { ch.AvatarKnown = false })
		s.log.Warn("telegram bot: the chat's new picture could not be looked up", "chat", chatID, "err", err)
	}
	s.tellChanged(chatID, cur.Type)
	return nil
}

// tellChanged tells the rooms of a chat the bot changed (its name, its
// picture: Telegram does not tell a bot of its own service messages) and
// saves the chat list.
func (s *Session) tellChanged(chatID int64, typ models.ChatType) {
	for _, ev := range s.chatChanged(&models.Chat{ID: chatID, Type: typ}, int(time.Now().Unix()), nil) {
		ev.LoginId = s.cfg.LoginID
		s.cfg.Host.Emit(ev)
	}
	if err := s.chats.save(); err != nil {
		s.log.Warn("telegram bot: the chat list could not be saved", "err", err)
	}
}
