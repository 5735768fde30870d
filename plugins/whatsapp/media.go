package whatsapp

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Files. WhatsApp's are fetched by reference (the media message in
// Attachment.ref) when the gateway delivers them, through a temporary
// file: whatsmeow decrypts and checks the whole file before any of it is
// handed on. The user's are streamed in by UploadMedia into a file in the
// data folder, and uploaded to WhatsApp when SendMessage names them.

// mediaDirName is the media spool in the plugin's data folder, emptied
// at each start.
const mediaDirName = "whatsapp-media"

// uploads are the files the host gave and no message named yet.
type uploads struct {
	dir string // the plugin's data folder ("" = the system's temp)

	mu    sync.Mutex
	files map[string]upload
}

type upload struct {
	path string
	info *pb.MediaInfo
}

func (u *uploads) folder() (string, error) {
	dir := u.dir
	if dir == "" {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, mediaDirName)
	return dir, os.MkdirAll(dir, 0o700)
}

// UploadMedia spools a file from the host; SendMessage sends it.
func (s *Session) UploadMedia(_ context.Context, info *pb.MediaInfo, r io.Reader) (string, error) {
	path, err := s.spool(r)
	if err != nil {
		return "", err
	}
	id := "up-" + rand.Text()
	s.uploads.mu.Lock()
	if s.uploads.files == nil {
		s.uploads.files = map[string]upload{}
	}
	s.uploads.files[id] = upload{path: path, info: info}
	s.uploads.mu.Unlock()
	return id, nil
}

// spool writes r to a new file of the media folder.
func (s *Session) spool(r io.Reader) (string, error) {
	dir, err := s.uploads.folder()
	if err != nil {
		return "", errf("media folder: %w", err)
	}
	f, err := os.CreateTemp(dir, "up-*")
	if err != nil {
		return "", errf("spool a file: %w", err)
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", errf("spool a file: %w", err)
	}
	return f.Name(), nil
}

// take removes an upload from the list: the caller removes its file.
func (u *uploads) take(id string) (upload, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	up, ok := u.files[id]
	delete(u.files, id)
	return up, ok
}

// drop removes the uploads attachments name that are still listed, and
// their files.
func (u *uploads) drop(attachments []*pb.Attachment) {
	for _, a := range attachments {
		if id := a.GetUploadId(); id != "" {
			if up, ok := u.take(id); ok {
				os.Remove(up.path)
			}
		}
	}
}

// upload sends a file to WhatsApp's media servers and returns the
// message that carries it.
func (s *Session) upload(ctx context.Context, a *pb.Attachment, caption string, ci *waE2E.ContextInfo) (*waE2E.Message, error) {
	m, _, err := s.uploadFor(ctx, a, caption, ci, false)
	return m, err
}

// uploadFor is upload, to a channel's media (channel true): unencrypted
// (whatsmeow's newsletter upload), the message without a media key,
// and the upload's handle, which the post names when sent
// (SendRequestExtra.MediaHandle; "" for a file needing no upload).
func (s *Session) uploadFor(ctx context.Context, a *pb.Attachment, caption string, ci *waE2E.ContextInfo, channel bool) (*waE2E.Message, string, error) {
	var path string
	switch src := a.Source.(type) {
	case *pb.Attachment_UploadId:
		up, ok := s.uploads.take(src.UploadId)
		if !ok {
			return nil, "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: no uploaded file %q (uploaded to another plugin process?)", src.UploadId)
		}
		defer os.Remove(up.path)
		path = up.path
		if a.MimeType == "" && up.info != nil {
			a.MimeType = up.info.MimeType
		}
	case *pb.Attachment_Path:
		path = src.Path
		defer os.Remove(path)
	case *pb.Attachment_Data:
		// A small file inline: spooled like an upload.
		f, err := s.spool(bytes.NewReader(src.Data))
		if err != nil {
			return nil, "", err
		}
		defer os.Remove(f)
		path = f
	default:
		return nil, "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: a file must come by upload, path or data, not %T", a.Source)
	}
	if vcardFile(a) {
		// A contact card: WhatsApp's own (contactcard.go).
		if m, err := contactCardMessage(path, ci); m != nil || err != nil {
			return m, "", err
		}
	}
	path, converted := s.convertVoice(ctx, a, path)
	defer converted()
	f, err := os.Open(path)
	if err != nil {
		return nil, "", errf("open the file to send: %w", err)
	}
	defer f.Close()
	kind := mediaKind(a.MimeType, a.VoiceNote)
	st, isSticker := stickerOf(path, a.MimeType) // sticker_out.go
	if isSticker {
		kind = whatsmeow.MediaImage
	}
	var up whatsmeow.UploadResponse
	if channel {
		// A channel's media is not encrypted: no spool of ciphertext.
		up, err = s.d.cli.UploadNewsletterReader(ctx, f, kind)
	} else {
		tmp, spoolErr := s.encSpool()
		if spoolErr != nil {
			return nil, "", spoolErr
		}
		defer func() { tmp.Close(); os.Remove(tmp.Name()) }()
		up, err = s.d.cli.UploadReader(ctx, f, tmp, kind)
	}
	if err != nil {
		return nil, "", s.sendErr("upload "+a.Name, err)
	}
	if isSticker {
		return stickerMessage(st, up, ci), up.Handle, nil
	}
	return mediaMessage(a, up, caption, ci), up.Handle, nil
}

// encSpool is a file in the media folder for the ciphertext of an
// upload (whatsmeow encrypts into it); the caller removes it.
func (s *Session) encSpool() (*os.File, error) {
	dir, err := s.uploads.folder()
	if err != nil {
		return nil, errf("media folder: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "enc-*")
	if err != nil {
		return nil, errf("encryption spool: %w", err)
	}
	return tmp, nil
}

// DownloadMedia fetches a WhatsApp file into a temporary file and hands
// it over; the file goes when the reader is closed.
func (s *Session) DownloadMedia(ctx context.Context, _ string, ref string) (*pb.MediaInfo, io.ReadCloser, error) {
	m, info, err := decodeRef(ref)
	if err != nil {
		return nil, nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: %v", err)
	}
	dm, err := downloadable(m)
	if err != nil {
		return nil, nil, err
	}
	dir, err := s.uploads.folder()
	if err != nil {
		return nil, nil, errf("media folder: %w", err)
	}
	f, err := os.CreateTemp(dir, "down-*")
	if err != nil {
		return nil, nil, errf("download spool: %w", err)
	}
	err = s.downloadWarned(s.d.cli.DownloadToFile(ctx, dm, f))
	if mediaGone(err) && info != nil {
		// Older than WhatsApp keeps files: the phone uploads it again
		// (mediaretry.go), then it downloads from there.
		if err = s.reupload(ctx, info, m, dm); err == nil {
			if err = f.Truncate(0); err == nil {
				_, err = f.Seek(0, io.SeekStart)
			}
			if err == nil {
				err = s.downloadWarned(s.d.cli.DownloadToFile(ctx, dm, f))
			}
		}
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		var se *sdk.Error
		switch {
		case errors.As(err, &se):
			return nil, nil, err
		case mediaGone(err):
			return nil, nil, errMediaGone(" (the phone may still have it)")
		}
		return nil, nil, s.sendErr("download", err)
	}
	st, err := f.Stat()
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, nil, errf("download spool: %w", err)
	}
	return &pb.MediaInfo{Size: st.Size()}, &tempFile{f}, nil
}

// downloadWarned is a download's error, without whatsmeow's warnings:
// a file whose length or plaintext hash disagrees with what its message
// says is whole and authentic all the same (whatsmeow checked its MAC
// and decrypted it, then compared), and WhatsApp's apps show it, as
// mautrix-whatsapp does; it was refused, the file lost. Logged.
func (s *Session) downloadWarned(err error) error {
	if errors.Is(err, whatsmeow.ErrFileLengthMismatch) || errors.Is(err, whatsmeow.ErrInvalidMediaSHA256) {
		s.log.Info("file downloaded though it disagrees with its message; kept, as the apps keep it", "err", err)
		return nil
	}
	return err
}

// downloadable is the media part of a reference.
func downloadable(m *waE2E.Message) (whatsmeow.DownloadableMessage, error) {
	switch {
	case m.ImageMessage != nil:
		return m.ImageMessage, nil
	case m.VideoMessage != nil:
		return m.VideoMessage, nil
	case m.PtvMessage != nil:
		return m.PtvMessage, nil
	case m.AudioMessage != nil:
		return m.AudioMessage, nil
	case m.DocumentMessage != nil:
		return m.DocumentMessage, nil
	case m.StickerMessage != nil:
		return m.StickerMessage, nil
	}
	return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: the media reference names no file")
}

// tempFile is a file removed when closed.
type tempFile struct{ *os.File }

// Close closes and removes the file.
func (t *tempFile) Close() error {
	err := t.File.Close()
	if rerr := os.Remove(t.Name()); err == nil && rerr != nil {
		err = fmt.Errorf("remove %s: %w", t.Name(), rerr)
	}
	return err
}
