package signal

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"

	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/plugins/picture"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Group pictures: signal-cli hands a group's picture out with getAvatar
// (groupId), base64. Neither listGroups nor a group update names it, so
// the session keeps each picture's hash and, after an update, fetches
// the picture and tells the host when it changed.

// ChatAvatar is a group's picture (sdk.ChatAvatarer): nil when it has
// none.
func (s *Session) ChatAvatar(ctx context.Context, chatID string) ([]byte, string, error) {
	gid := groupIDOf(chatID)
	if gid == "" {
		return nil, "", nil // a direct chat: the contact's avatar is theirs
	}
	var res struct {
		Data string `json:"data"`
	}
	err := s.call(ctx, "could not fetch the group's picture", "getAvatar", map[string]any{"groupId": gid}, &res)
	var serr *sdk.Error
	switch {
	case errors.As(err, &serr) && serr.Code == pb.ErrorCode_ERROR_CODE_BAD_REQUEST:
		// signal-cli's user error "Could not find avatar": none.
	case err != nil:
		return nil, "", err
	}
	b, _ := base64.StdEncoding.DecodeString(res.Data)
	s.mu.Lock()
	s.pictures[chatID] = pictureID(b)
	s.mu.Unlock()
	if len(b) == 0 {
		return nil, "", nil
	}
	return b, http.DetectContentType(b), nil
}

// pictureID names a picture by its content ("" for none).
func pictureID(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// pictureChanged fetches a group's picture after an update and, when it
// is not the one last seen, tells the host as the group's chat with the
// picture's ID and nothing else changed. Nothing seen since the plugin
// started is not "no picture": the host may show one it fetched before a
// restart, so that a picture, or none, is told then (the host ignores a
// hash it has). The event bears the update's time at (Unix ms; 0: now).
func (s *Session) pictureChanged(ctx context.Context, chat *pb.Chat, by *pb.Sender, at int64) {
	s.mu.Lock()
	last, seen := s.pictures[chat.ChatId]
	s.mu.Unlock()
	b, _, err := s.ChatAvatar(ctx, chat.ChatId)
	if err != nil {
		s.n.host.Logger().Warn("signal: a changed group's picture could not be read", "login", s.loginID, "chat", chat.ChatId, "err", err)
		return
	}
	id := pictureID(b)
	s.mu.Lock()
	s.pictures[chat.ChatId] = id
	s.mu.Unlock()
	if seen && last == id {
		return
	}
	c := proto.Clone(chat).(*pb.Chat)
	c.Members = nil // only the picture
	c.AvatarId, c.NoAvatar = id, id == ""
	s.emit(ctx, &pb.Event{ChatId: chat.ChatId, ChatType: pb.ChatType_CHAT_TYPE_GROUP, Sender: by, TimestampUnixMicro: at * 1000,
		Payload: &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: c}}}, true)
}

var _ sdk.ChatAvatarSetter = (*Session)(nil)

// pictureSide is the side of the square picture a group gets: Signal's
// apps make a group's picture at most 640 pixels square (their profile
// media constraints).
const pictureSide = 640

// SetChatAvatar sets a group's picture (sdk.ChatAvatarSetter):
// updateGroup's avatar, a square JPEG given as a data URI, which
// signal-cli (0.11.5 and later) reads as it reads a file's path: no file
// is left behind, and a daemon on another machine gets it too. The
// group's update then tells the room the new picture (pictureChanged).
// signal-cli cannot remove a group's picture, only set another: a
// removal is refused.
func (s *Session) SetChatAvatar(ctx context.Context, c sdk.Call, a *pb.SetChatAvatar) error {
	if groupIDOf(c.ChatID) == "" {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%q is no Signal group: only a group has a picture to set", c.ChatID)
	}
	if len(a.Data) == 0 {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "signal-cli cannot remove a group's picture, only set another: remove it from a Signal app")
	}
	avatar, err := pictureURI(a.Data)
	if err != nil {
		return err
	}
	return s.updateGroup(ctx, "could not set the group's picture", c.ChatID, map[string]any{"avatar": avatar})
}

var _ sdk.ProfileAvatarSetter = (*Session)(nil)

// SetProfileAvatar sets the user's own profile picture, or removes it
// (sdk.ProfileAvatarSetter): updateProfile's avatar, a square JPEG as a
// data URI as for a group (signal-cli reads both through
// Utils.createStreamDetails), or removeAvatar.
func (s *Session) SetProfileAvatar(ctx context.Context, a *pb.SetProfileAvatar) error {
	if len(a.Data) == 0 {
		return s.call(ctx, "could not remove your profile picture", "updateProfile", map[string]any{"removeAvatar": true}, nil)
	}
	avatar, err := pictureURI(a.Data)
	if err != nil {
		return err
	}
	return s.call(ctx, "could not set your profile picture", "updateProfile", map[string]any{"avatar": avatar}, nil)
}

// pictureURI is an image as signal-cli takes a picture: a square JPEG
// as a data URI.
func pictureURI(img []byte) (string, error) {
	jpg, err := picture.JPEG(img, pictureSide, true)
	if err != nil {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "signal: %v", err)
	}
	return "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(jpg), nil
}
