package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

// A channel's picture is its room's, as a group's is (ChatAvatar): the
// channel's description (ThreadMeta.Picture) names it by ID, which is
// the room's avatar ID, and by where it is. A URL is downloaded as a
// profile picture is (a plain HTTP download); a direct path alone, from
// WhatsApp's media servers as a post's file is: like a channel's media,
// the picture is not encrypted (no key: whatsmeow fetches it as is).

// channelPicture is channel's picture; nil data when it has none, or it
// cannot be downloaded (the room without it rather than none).
func (s *Session) channelPicture(ctx context.Context, channel types.JID) ([]byte, string, error) {
	m, err := s.d.cli.GetNewsletterInfo(ctx, channel)
	if err != nil {
		return nil, "", s.sendErr("picture of "+channel.String(), err)
	}
	pic := m.ThreadMeta.Picture
	if pic == nil || pic.URL == "" && pic.DirectPath == "" {
		return nil, "", nil
	}
	var b []byte
	if pic.URL != "" {
		b, err = s.n.fetch(ctx, pic.URL)
	} else {
		b, err = s.channelPictureByPath(ctx, pic.DirectPath)
	}
	if err != nil {
		s.log.Info("channel's picture not downloaded", "channel", channel, "err", err)
		return nil, "", nil
	}
	return b, "image/jpeg", nil
}

// channelPictureByPath downloads an unencrypted picture from WhatsApp's
// media servers by its direct path, through a temporary file (the
// client's download writes to one), maxAvatarBytes at most.
func (s *Session) channelPictureByPath(ctx context.Context, path string) ([]byte, error) {
	dir, err := s.uploads.folder()
	if err != nil {
		return nil, fmt.Errorf("media folder: %w", err)
	}
	f, err := os.CreateTemp(dir, "pic-*")
	if err != nil {
		return nil, fmt.Errorf("download spool: %w", err)
	}
	defer func() { f.Close(); os.Remove(f.Name()) }()
	if err := s.d.cli.DownloadToFile(ctx, &waE2E.ImageMessage{DirectPath: proto.String(path)}, f); err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxAvatarBytes+1))
	if err == nil && len(b) > maxAvatarBytes {
		err = fmt.Errorf("picture larger than %d bytes", maxAvatarBytes)
	}
	if err == nil && len(b) == 0 {
		err = errors.New("empty picture")
	}
	return b, err
}
