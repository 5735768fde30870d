package telegram

import (
	"context"

	"github.com/gotd/td/telegram/uploader"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"passerelle.im/passerelle/plugins/picture"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var _ sdk.ChatAvatarSetter = (*Session)(nil)

// pictureSide is the side of the square picture a group gets: Telegram
// keeps a chat's picture at most 640 pixels wide (its largest size, "c";
// TDLib's big chat photo is 640x640), and Telegram Desktop uploads a
// 640-pixel square. A larger upload is only scaled down by Telegram.
const pictureSide = 640

// SetChatAvatar sets or removes a group's or channel's picture
// (sdk.ChatAvatarSetter): the picture as a square JPEG, uploaded, then
// messages.editChatPhoto (a basic group) or channels.editPhoto. Its
// service message, handled as Telegram's other news, tells the room the
// new picture's ID. A forum topic has no picture of its own on Telegram:
// its room shows the forum's, which is set from the forum's room.
func (s *Session) SetChatAvatar(ctx context.Context, c sdk.Call, a *pb.SetChatAvatar) error {
	if s.bot != nil {
		return s.bot.SetChatAvatar(ctx, c, a)
	}
	if err := inTopic(c.ChatID, "set the forum's picture"); err != nil {
		return err
	}
	api, mgr, err := s.client()
	if err != nil {
		return err
	}
	kind, id, err := parsePeer(c.ChatID)
	if err != nil {
		return err
	}
	if kind != peerChat && kind != peerChannel {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: a private chat has no picture to set")
	}
	var photo tg.InputChatPhotoClass = &tg.InputChatPhotoEmpty{}
	if len(a.Data) > 0 {
		f, err := uploadPicture(ctx, api, a.Data)
		if err != nil {
			return err
		}
		photo = &tg.InputChatUploadedPhoto{File: f}
	}
	var upd tg.UpdatesClass
	if kind == peerChat {
		upd, err = api.MessagesEditChatPhoto(ctx, &tg.MessagesEditChatPhotoRequest{ChatID: id, Photo: photo})
	} else {
		var ch *tg.InputChannel
		if ch, err = s.peers.inputChannel(id); err == nil {
			upd, err = api.ChannelsEditPhoto(ctx, &tg.ChannelsEditPhotoRequest{Channel: ch, Photo: photo})
		}
	}
	if tgerr.Is(err, "CHAT_NOT_MODIFIED") {
		return nil // no picture to remove: none it is
	}
	if err != nil {
		return cmdErr("set the group's picture", err)
	}
	if err := mgr.Handle(ctx, upd); err != nil {
		// The picture is set; the room hears of it with the next news.
		s.n.log().Warn("telegram: updates of a group picture set", "login", s.login.LoginID, "err", err)
	}
	return nil
}

// uploadPicture uploads an image as Telegram takes a chat's or a
// profile's photo: a square JPEG of at most pictureSide pixels.
func uploadPicture(ctx context.Context, api *tg.Client, img []byte) (tg.InputFileClass, error) {
	jpg, err := picture.JPEG(img, pictureSide, true)
	if err != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: %v", err)
	}
	f, err := uploader.NewUploader(api).FromBytes(ctx, "picture.jpg", jpg)
	if err != nil {
		return nil, cmdErr("upload the picture", err)
	}
	return f, nil
}
