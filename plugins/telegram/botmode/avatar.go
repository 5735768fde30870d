package botmode

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Avatars: a person's current profile photo, found when the bot first
// meets them (one getUserProfilePhotos) and again at their first message
// a day later (the Bot API tells no change of it), fetched when the
// gateway asks (UserInfo). The photo's file_unique_id is the contact's
// avatar_id; sdk.NoAvatarID once they removed it.

// avatarRecheck is how long, in seconds, a person's photo is taken as
// known: their next message after that looks it up again.
const avatarRecheck = 24 * 60 * 60

// avatarMax bounds an avatar's download: the size picked is a small one.
const avatarMax = 1 << 20

// avatar is a profile photo as the chat list keeps it.
type avatar struct {
	FileID   string `json:"file_id"`
	UniqueID string `json:"unique_id"`
}

// findAvatar asks for a person's profile photo and keeps it with their
// private chat, looked up at at (a message's date). It reports whether
// the photo is another than the one kept (a new one, or none any more).
// A failure changes nothing, said in the log.
func (s *Session) findAvatar(ctx context.Context, userID, at int64) bool {
	photos, err := s.bot.GetUserProfilePhotos(ctx, &bot.GetUserProfilePhotosParams{UserID: userID, Limit: 1})
	if err != nil {
		s.log.Info("telegram bot: a profile photo could not be looked up", "user", userID, "err", err)
		return false
	}
	var a *avatar
	if len(photos.Photos) > 0 {
		if p, ok := avatarSize(photos.Photos[0]); ok {
			a = &avatar{FileID: p.FileID, UniqueID: p.FileUniqueID}
		}
	}
	changed := false
	s.chats.update(userID, func(c *chat) {
		changed = a.uniqueID() != c.Avatar.uniqueID()
		c.Avatar, c.AvatarSeen = a, at
	})
	return changed
}

// uniqueID is the photo's file_unique_id, "" for none.
func (a *avatar) uniqueID() string {
	if a == nil {
		return ""
	}
	return a.UniqueID
}

// avatarSize picks the size of a photo for an avatar: the smallest of at
// least 160 pixels, else the largest.
func avatarSize(sizes []models.PhotoSize) (models.PhotoSize, bool) {
	var best models.PhotoSize
	found := false
	for _, p := range sizes {
		switch {
		case !found:
			best, found = p, true
		case best.Width < 160 && p.Width > best.Width:
			best = p
		case p.Width >= 160 && p.Width < best.Width:
			best = p
		}
	}
	return best, found
}

// avatarBytes downloads an avatar.
func (s *Session) avatarBytes(ctx context.Context, a *avatar) ([]byte, error) {
	f, err := s.bot.GetFile(ctx, &bot.GetFileParams{FileID: a.FileID})
	if err != nil {
		return nil, commandError("fetching the picture", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.bot.FileDownloadLink(f), nil)
	if err != nil {
		return nil, fmt.Errorf("botmode: avatar: %w", err)
	}
	resp, err := s.files.Do(req)
	if err != nil {
		return nil, fmt.Errorf("botmode: avatar: %s", clip(err.Error(), 300))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("botmode: avatar: HTTP %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, avatarMax+1))
	if err != nil {
		return nil, fmt.Errorf("botmode: avatar: %w", err)
	}
	if len(data) > avatarMax {
		return nil, fmt.Errorf("botmode: avatar: more than %d bytes", avatarMax)
	}
	return data, nil
}

// withAvatar fills a contact's avatar, for UserInfo.
func (s *Session) withAvatar(ctx context.Context, c *pb.Contact, a *avatar) *pb.Contact {
	if a == nil {
		return c
	}
	data, err := s.avatarBytes(ctx, a)
	if err != nil {
		s.log.Info("telegram bot: a profile photo could not be fetched", "user", c.UserId, "err", err)
		return c
	}
	c.Avatar, c.AvatarMime = data, "image/jpeg"
	return c
}
