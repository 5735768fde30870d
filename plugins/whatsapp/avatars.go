package whatsapp

import (
	"cmp"
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
// user may see; the user's own ID (the login's, or their LID), the user
// as others see them (ownContact).
func (s *Session) UserInfo(ctx context.Context, userID string) (*pb.Contact, error) {
	jid, err := parseUserID(userID)
	if err != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: %q is not a WhatsApp user", userID)
	}
	if isChannel(jid) {
		return s.channelContact(ctx, jid.ToNonAD()) // channels.go: its posts' sender
	}
	var ct *pb.Contact
	if s.isOwn(jid) {
		jid = s.ownJID() // by LID too: the user's own picture is their number's
		ct = s.ownContact(ctx)
	} else {
		var c types.ContactInfo
		if s.d.dev != nil {
			c, _ = s.d.dev.Contacts.GetContact(ctx, jid)
		}
		ct = s.contactOf(jid, c)
	}
	id, b, err := s.picture(ctx, jid)
	if err != nil {
		return nil, err
	}
	if b != nil {
		ct.AvatarId, ct.Avatar, ct.AvatarMime = id, b, "image/jpeg"
	}
	return ct, nil
}

// ownContact is the user's own profile as WhatsApp shows it to others:
// their push name (the account's name, which the store keeps apart from
// its contacts), else what the store knows of them, else the number.
func (s *Session) ownContact(ctx context.Context) *pb.Contact {
	own := s.ownJID()
	ct := s.contactOf(own, s.person(ctx, own))
	ct.Name, ct.Nickname = cmp.Or(s.d.dev.PushName, ct.Nickname, ct.Name), ""
	return ct
}

// ChatAvatar is a group's or a channel's picture (sdk.ChatAvatarer).
func (s *Session) ChatAvatar(ctx context.Context, chatID string) ([]byte, string, error) {
	if jid, err := parseChatID(chatID); err == nil && isChannel(jid) {
		return s.channelPicture(ctx, jid.ToNonAD()) // channelpicture.go
	}
	jid, err := groupJID(chatID)
	if err != nil {
		return nil, "", err
	}
	_, b, err := s.picture(ctx, jid)
	if err != nil || b == nil {
		return nil, "", err
	}
	return b, "image/jpeg", nil
}

// picture is the profile picture of a user or group and its ID; nil
// data when there is none the user may see, or it cannot be downloaded
// (the contact or group without it rather than none).
func (s *Session) picture(ctx context.Context, jid types.JID) (string, []byte, error) {
	pic, err := s.d.cli.GetProfilePictureInfo(ctx, jid, &whatsmeow.GetProfilePictureParams{})
	switch {
	case errors.Is(err, whatsmeow.ErrProfilePictureNotSet), errors.Is(err, whatsmeow.ErrProfilePictureUnauthorized), err == nil && pic == nil:
		return "", nil, nil
	case err != nil:
		return "", nil, s.sendErr("picture of "+jid.String(), err)
	}
	b, err := s.n.fetch(ctx, pic.URL)
	if err != nil {
		s.log.Info("picture not downloaded", "jid", jid, "err", err)
		return "", nil, nil
	}
	return pic.ID, b, nil
}

// pictureChanged tells the host a saved contact's avatar changed: it
// asks UserInfo for the new one.
func (s *Session) pictureChanged(e *events.Picture) {
	if e.JID.Server == types.GroupServer {
		s.groupPictureChanged(e)
		return
	}
	if e.JID.Server != types.DefaultUserServer && e.JID.Server != types.HiddenUserServer {
		return
	}
	if s.isOwn(e.JID) {
		return // the user's own picture: no contact of theirs
	}
	c := s.person(context.Background(), e.JID)
	if !saved(c) {
		return // no contact of the user's: no roster entry (contactChanged)
	}
	ct := s.contactOf(e.JID.ToNonAD(), c)
	ct.AvatarId = e.PictureID
	if e.Remove {
		// A new ID with no picture behind it: the host fetches the
		// profile, finds none and clears the photo. An empty ID says
		// nothing (contact lists send it for "not told").
		ct.AvatarId = sdk.NoAvatarID
	}
	s.emit(&pb.Event{ChatId: ct.UserId, TimestampUnixMicro: e.Timestamp.UnixMicro(), Payload: &pb.Event_Contact{Contact: &pb.ContactEvent{Contact: ct}}})
}

// groupPictureChanged tells the host a group's picture changed or went:
// the group as known, without its members, with the new picture's ID. A
// community's picture has no room to show in.
func (s *Session) groupPictureChanged(e *events.Picture) {
	jid := e.JID.ToNonAD()
	var g *types.GroupInfo
	if cp, ok := s.cachedGroup(jid); ok {
		g = &cp
	} else {
		// Bounded: whatsmeow runs its events one at a time, and waits
		// for this one (its IQ alone would wait 75 s).
		ctx, cancel := context.WithTimeout(context.Background(), groupReadWait())
		defer cancel()
		var err error
		if g, err = s.group(ctx, jid); err != nil {
			s.log.Warn("group picture changed in a group not found", "group", jid, "err", err)
			return
		}
	}
	if g.IsParent {
		s.log.Debug("community picture not shown: a community is no room", "community", jid)
		return
	}
	c := s.chatOf(g)
	c.Members = nil // only the picture changed
	if e.Remove {
		c.NoAvatar = true
	} else {
		c.AvatarId = e.PictureID
	}
	s.emit(&pb.Event{ChatId: c.ChatId, ChatType: pb.ChatType_CHAT_TYPE_GROUP, TimestampUnixMicro: e.Timestamp.UnixMicro(),
		Payload: &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: c}}})
}

// SetProfileAvatar sets the user's own profile picture, or removes it
// (sdk.ProfileAvatarSetter): SetGroupPhoto without a group is the
// account's own (whatsmeow issue 325), seen by whoever the user's
// WhatsApp privacy settings allow.
func (s *Session) SetProfileAvatar(ctx context.Context, a *pb.SetProfileAvatar) error {
	_, err := s.setPhoto(ctx, types.EmptyJID, a.Data, "your profile picture")
	return err
}
