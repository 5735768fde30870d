package telegram

import (
	"context"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var _ sdk.ProfileAvatarSetter = (*Session)(nil)

// SetProfileAvatar sets or removes the user's own profile photo
// (sdk.ProfileAvatarSetter): the picture as a square JPEG, uploaded, then
// photos.uploadProfilePhoto, which makes it the current one (Telegram
// keeps the former ones in the user's photo list, as its apps do);
// photos.updateProfilePhoto with inputPhotoEmpty removes the current one.
// A bot login's is the bot's own photo, bot mode's (setMyProfilePhoto).
func (s *Session) SetProfileAvatar(ctx context.Context, a *pb.SetProfileAvatar) error {
	if s.bot != nil {
		return s.bot.SetProfileAvatar(ctx, a)
	}
	api, _, err := s.client()
	if err != nil {
		return err
	}
	if len(a.Data) == 0 {
		if _, err := api.PhotosUpdateProfilePhoto(ctx, &tg.PhotosUpdateProfilePhotoRequest{ID: &tg.InputPhotoEmpty{}}); err != nil {
			return cmdErr("remove your profile photo", err)
		}
		return nil
	}
	f, err := uploadPicture(ctx, api, a.Data)
	if err != nil {
		return err
	}
	req := &tg.PhotosUploadProfilePhotoRequest{}
	req.SetFile(f)
	if _, err := api.PhotosUploadProfilePhoto(ctx, req); err != nil {
		return cmdErr("set your profile photo", err)
	}
	return nil
}
