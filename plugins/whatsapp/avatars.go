package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Avatars: WhatsApp hands out a profile picture's URL on its media CDN;
// the picture is a plain HTTP download (fetchAvatar, faked in tests).

// maxAvatarBytes bounds a downloaded avatar (WhatsApp's are 640 px JPEGs
// of some tens of KiB).
const maxAvatarBytes = 2 << 20

// FetchFunc downloads an avatar's bytes.
type FetchFunc func(ctx context.Context, url string) ([]byte, error)

var avatarClient = &http.Client{Timeout: 30 * time.Second}

// httpFetch is the real download.
func httpFetch(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := avatarClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("avatar download: %s", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAvatarBytes+1))
	if err == nil && len(b) > maxAvatarBytes {
		err = fmt.Errorf("avatar larger than %d bytes", maxAvatarBytes)
	}
	return b, err
}

// UserInfo describes a contact with their avatar, when they have one the
// user may see.
func (s *Session) UserInfo(ctx context.Context, userID string) (*pb.Contact, error) {
	jid, err := parseUserID(userID)
	if err != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: %q is not a WhatsApp user", userID)
	}
	var c types.ContactInfo
	if s.d.dev != nil {
		c, _ = s.d.dev.Contacts.GetContact(ctx, jid)
	}
	ct := s.contactOf(jid, c)
	pic, err := s.d.cli.GetProfilePictureInfo(ctx, jid, &whatsmeow.GetProfilePictureParams{})
	switch {
	case errors.Is(err, whatsmeow.ErrProfilePictureNotSet), errors.Is(err, whatsmeow.ErrProfilePictureUnauthorized), err == nil && pic == nil:
		return ct, nil
	case err != nil:
		return nil, sendErr("avatar of "+userID, err)
	}
	b, err := s.n.fetch(ctx, pic.URL)
	if err != nil {
		// The contact without the picture rather than no contact.
		s.log.Info("avatar not downloaded", "user", userID, "err", err)
		return ct, nil
	}
	ct.AvatarId, ct.Avatar, ct.AvatarMime = pic.ID, b, "image/jpeg"
	return ct, nil
}

// pictureChanged tells the host a contact's avatar changed: it asks
// UserInfo for the new one.
func (s *Session) pictureChanged(e *events.Picture) {
	if e.JID.Server != types.DefaultUserServer && e.JID.Server != types.HiddenUserServer {
		return // a group's picture: rooms have no avatar in the contract yet
	}
	var c types.ContactInfo
	if s.d.dev != nil {
		c, _ = s.d.dev.Contacts.GetContact(context.Background(), e.JID.ToNonAD())
	}
	ct := s.contactOf(e.JID.ToNonAD(), c)
	if !e.Remove {
		ct.AvatarId = e.PictureID
	}
	s.emit(&pb.Event{ChatId: ct.UserId, TimestampUnixMicro: e.Timestamp.UnixMicro(), Payload: &pb.Event_Contact{Contact: &pb.ContactEvent{Contact: ct}}})
}
