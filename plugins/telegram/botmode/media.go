package botmode

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Files from Telegram are described by reference (Attachment.ref: the
// file_id) and fetched with getFile when the gateway delivers them. Files
// to Telegram are spooled to the login's folder by UploadMedia, then sent
// by SendMessage as multipart uploads.

const (
	uploadsDir = "uploads"
	// photoMax is the largest file Telegram takes as a photo; a bigger
	// image goes as a document.
	photoMax = 10 << 20
	// sendMax is the largest file a bot may send.
	sendMax = 50 << 20
)

// errSendTooLarge refuses a file a bot may not send.
var errSendTooLarge = sdk.Errorf(pb.ErrorCode_ERROR_CODE_TOO_LARGE, "a Telegram bot sends files of at most 50 MB")

// attachmentsOf describes a message's files, marked hidden when Telegram
// shows them so (has_media_spoiler: a photo, video or animation).
func attachmentsOf(m *models.Message) []*pb.Attachment {
	as := filesOf(m)
	for _, a := range as {
		a.Spoiler = m.HasMediaSpoiler
	}
	return as
}

// filesOf describes a message's files. A sticker is an image: the
// sticker itself when static (WebP), its thumbnail when animated.
func filesOf(m *models.Message) []*pb.Attachment {
	switch {
	case len(m.Photo) > 0:
		p := m.Photo[len(m.Photo)-1] // the largest size
		return []*pb.Attachment{{Source: ref(p.FileID), Name: "photo.jpg", MimeType: "image/jpeg", Size: sizeOr(int64(p.FileSize)),
			Width: int32(p.Width), Height: int32(p.Height)}}
	case m.Document != nil:
		d := m.Document
		return []*pb.Attachment{{Source: ref(d.FileID), Name: nameOr(d.FileName, "file"), MimeType: mimeOr(d.MimeType, "application/octet-stream"),
			Size: sizeOr(d.FileSize)}}
	case m.Voice != nil:
		v := m.Voice
		return []*pb.Attachment{{Source: ref(v.FileID), Name: "voice.ogg", MimeType: mimeOr(v.MimeType, "audio/ogg"), Size: sizeOr(v.FileSize),
			DurationMs: int64(v.Duration) * 1000, VoiceNote: true}}
	case m.Video != nil:
		v := m.Video
		return []*pb.Attachment{{Source: ref(v.FileID), Name: nameOr(v.FileName, "video.mp4"), MimeType: mimeOr(v.MimeType, "video/mp4"),
			Size: sizeOr(v.FileSize), Width: int32(v.Width), Height: int32(v.Height), DurationMs: int64(v.Duration) * 1000}}
	case m.Animation != nil:
		v := m.Animation
		return []*pb.Attachment{{Source: ref(v.FileID), Name: nameOr(v.FileName, "animation.mp4"), MimeType: mimeOr(v.MimeType, "video/mp4"),
			Size: sizeOr(v.FileSize), Width: int32(v.Width), Height: int32(v.Height), DurationMs: int64(v.Duration) * 1000}}
	case m.VideoNote != nil:
		v := m.VideoNote
		return []*pb.Attachment{{Source: ref(v.FileID), Name: "video.mp4", MimeType: "video/mp4", Size: sizeOr(int64(v.FileSize)),
			Width: int32(v.Length), Height: int32(v.Length), DurationMs: int64(v.Duration) * 1000}}
	case m.Audio != nil:
		a := m.Audio
		return []*pb.Attachment{{Source: ref(a.FileID), Name: nameOr(a.FileName, "audio"), MimeType: mimeOr(a.MimeType, "audio/mpeg"),
			Size: sizeOr(a.FileSize), DurationMs: int64(a.Duration) * 1000}}
	case m.Sticker != nil:
		st := m.Sticker
		if !st.IsAnimated && !st.IsVideo {
			return []*pb.Attachment{{Source: ref(st.FileID), Name: "sticker.webp", MimeType: "image/webp", Size: sizeOr(int64(st.FileSize)),
				Width: int32(st.Width), Height: int32(st.Height), Caption: st.Emoji}}
		}
		if t := st.Thumbnail; t != nil {
			return []*pb.Attachment{{Source: ref(t.FileID), Name: "sticker.webp", MimeType: "image/webp", Size: sizeOr(int64(t.FileSize)),
				Width: int32(t.Width), Height: int32(t.Height), Caption: st.Emoji}}
		}
	}
	return nil
}

func sizeOr(n int64) int64 {
	if n <= 0 {
		return -1
	}
	return n
}

func nameOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func mimeOr(s, def string) string { return nameOr(s, def) }

// DownloadMedia fetches a file by its file_id: getFile, then the file.
func (s *Session) DownloadMedia(ctx context.Context, _, ref string) (*pb.MediaInfo, io.ReadCloser, error) {
	if s.bot == nil {
		return nil, nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "telegram bot: not logged in")
	}
	f, err := s.bot.GetFile(ctx, &bot.GetFileParams{FileID: ref})
	if err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "wrong file_id") || strings.Contains(strings.ToLower(err.Error()), "invalid file_id") {
			return nil, nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "Telegram has no file %q for this bot: %v", ref, err)
		}
		return nil, nil, commandError("downloading this file", err)
	}
	if f.FilePath == "" {
		return nil, nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "Telegram gave no path for file %q", ref)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.bot.FileDownloadLink(f), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("botmode: download: %w", err)
	}
	resp, err := s.files.Do(req)
	if err != nil {
		return nil, nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "downloading a file from Telegram: %s", strings.ReplaceAll(err.Error(), s.token, "***"))
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "downloading a file from Telegram: HTTP %s", resp.Status)
	}
	info := &pb.MediaInfo{Size: sizeOr(f.FileSize), Name: filepath.Base(f.FilePath)}
	if resp.ContentLength > 0 {
		info.Size = resp.ContentLength
	}
	return info, resp.Body, nil
}

// upload is a file UploadMedia spooled, for SendMessage.
type upload struct {
	Path string        `json:"path"`
	Info *pb.MediaInfo `json:"info"`
}

// UploadMedia spools a file to the login's folder (a temporary folder
// without one) and returns its ID for SendMessage.
func (s *Session) UploadMedia(_ context.Context, info *pb.MediaInfo, r io.Reader) (string, error) {
	if info.GetSize() > sendMax {
		return "", errSendTooLarge // not spooled to be refused at the send
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("botmode: upload ID: %w", err)
	}
	id := hex.EncodeToString(b[:])
	dir := os.TempDir()
	if s.cfg.Dir != "" {
		dir = filepath.Join(s.cfg.Dir, uploadsDir)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", fmt.Errorf("botmode: upload: %w", err)
		}
		s.sweepUploads(dir)
	}
	path := filepath.Join(dir, uploadPrefix+id)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("botmode: upload: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(r, sendMax+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > sendMax {
		err = errSendTooLarge // of a size not announced
	}
	if err != nil {
		os.Remove(path)
		var se *sdk.Error
		if errors.As(err, &se) {
			return "", err
		}
		return "", fmt.Errorf("botmode: upload: %w", err)
	}
	if info == nil {
		info = &pb.MediaInfo{}
	}
	u := upload{Path: path, Info: info}
	// Beside the file, what it is: SendMessage may come after a restart.
	if meta, err := json.Marshal(u); err == nil {
		os.WriteFile(path+".json", meta, 0o600)
	}
	s.mu.Lock()
	s.uploads[id] = u
	s.mu.Unlock()
	return id, nil
}

// uploadTTL is how long a spooled file waits for the send that takes it
// (a resend after a restart included): past it, it is removed.
const uploadTTL = 24 * time.Hour

// uploadPrefix opens the name of a spooled file (then its upload ID).
const uploadPrefix = "botmode-upload-"

// sweepUploads removes the files spooled in dir longer than uploadTTL
// ago that no send took (a send Telegram refused keeps its file, for a
// resend): they stayed until the login was removed.
func (s *Session) sweepUploads(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		id, ok := strings.CutPrefix(strings.TrimSuffix(e.Name(), ".json"), uploadPrefix)
		if !ok {
			continue
		}
		fi, err := e.Info()
		if err != nil || time.Since(fi.ModTime()) < uploadTTL {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("telegram bot: an old upload not removed", "file", e.Name(), "err", err)
			continue
		}
		s.mu.Lock()
		delete(s.uploads, id)
		s.mu.Unlock()
	}
}

// findUpload finds an upload by ID. It stays until its message went
// (dropUpload).
func (s *Session) findUpload(id string) (upload, error) {
	s.mu.Lock()
	u, ok := s.uploads[id]
	s.mu.Unlock()
	if ok {
		return u, nil
	}
	if strings.ContainsAny(id, "/\\.") || s.cfg.Dir == "" {
		return upload{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no upload %q", id)
	}
	meta, err := os.ReadFile(filepath.Join(s.cfg.Dir, uploadsDir, uploadPrefix+id+".json"))
	if err == nil && json.Unmarshal(meta, &u) == nil {
		return u, nil
	}
	return upload{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no upload %q: send the file again", id)
}

func (s *Session) dropUpload(id string, u upload) {
	s.mu.Lock()
	delete(s.uploads, id)
	s.mu.Unlock()
	os.Remove(u.Path)
	os.Remove(u.Path + ".json")
}

// sendAttachment sends one file as a photo, voice note, video or
// document, by what it is; a GIF marked hidden as an animation, which
// Telegram can hide (has_spoiler), as a photo and a video.
func (s *Session) sendAttachment(ctx context.Context, chatID int64, thread int, a *pb.Attachment, caption string, ents []models.MessageEntity, reply *models.ReplyParameters) (*models.Message, error) {
	info := &pb.MediaInfo{Name: a.Name, MimeType: a.MimeType, Size: a.Size, Width: a.Width, Height: a.Height,
		DurationMs: a.DurationMs, VoiceNote: a.VoiceNote}
	// open gives the file for one try: a 429 waited out sends it again,
	// and the first try's reader is spent (its request may still read
	// it), so each try reads its own.
	var open func() (models.InputFile, func(), error)
	var done func()
	switch src := a.Source.(type) {
	case *pb.Attachment_Data:
		open = func() (models.InputFile, func(), error) {
			return &models.InputFileUpload{Filename: nameOr(a.Name, "file"), Data: bytes.NewReader(src.Data)}, func() {}, nil
		}
		info.Size = int64(len(src.Data))
	case *pb.Attachment_Ref:
		open = fileString(src.Ref) // a file_id Telegram has
	case *pb.Attachment_Url:
		open = fileString(src.Url) // Telegram fetches it
	case *pb.Attachment_Path, *pb.Attachment_UploadId:
		path, id := a.GetPath(), a.GetUploadId()
		var u upload
		if id != "" {
			var err error
			if u, err = s.findUpload(id); err != nil {
				return nil, err
			}
			path = u.Path
			if u.Info != nil {
				info = mergeInfo(info, u.Info)
			}
		}
		st, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "the file to send is gone: send it again")
		}
		if err != nil {
			return nil, fmt.Errorf("botmode: the file to send: %w", err)
		}
		info.Size = st.Size()
		open = func() (models.InputFile, func(), error) {
			f, err := os.Open(path)
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "the file to send is gone: send it again")
			}
			if err != nil {
				return nil, nil, fmt.Errorf("botmode: open the file to send: %w", err)
			}
			return &models.InputFileUpload{Filename: nameOr(info.Name, "file"), Data: f}, func() { f.Close() }, nil
		}
		if id != "" {
			done = func() { s.dropUpload(id, u) }
		} else {
			done = func() { os.Remove(path) } // the gateway moved it to us
		}
	default:
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "an attachment without a source")
	}
	if info.Size > sendMax {
		if done != nil {
			done() // it can never go: not kept
		}
		return nil, errSendTooLarge
	}
	mime := strings.ToLower(info.MimeType)
	var openErr error // ours, not the Bot API's
	m, err := waitOutFlood(ctx, func() (*models.Message, error) {
		file, closeFile, err := open()
		if err != nil {
			openErr = err
			return nil, err
		}
		defer closeFile()
		switch {
		case strings.HasPrefix(mime, "image/") && mime != "image/gif" && mime != "image/svg+xml" && info.Size <= photoMax:
			return s.bot.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: chatID, MessageThreadID: thread, Photo: file, Caption: caption, CaptionEntities: ents,
				HasSpoiler: a.Spoiler, ReplyParameters: reply})
		case mime == "image/gif" && a.Spoiler:
			// A document cannot be hidden; an animation can.
			return s.bot.SendAnimation(ctx, &bot.SendAnimationParams{ChatID: chatID, MessageThreadID: thread, Animation: file, Caption: caption, CaptionEntities: ents,
				Width: int(info.Width), Height: int(info.Height), Duration: int(info.DurationMs / 1000), HasSpoiler: true, ReplyParameters: reply})
		case info.VoiceNote || mime == "audio/ogg" && strings.HasSuffix(strings.ToLower(info.Name), ".oga"):
			return s.bot.SendVoice(ctx, &bot.SendVoiceParams{ChatID: chatID, MessageThreadID: thread, Voice: file, Caption: caption, CaptionEntities: ents,
				Duration: int(info.DurationMs / 1000), ReplyParameters: reply})
		case mime == "video/mp4":
			return s.bot.SendVideo(ctx, &bot.SendVideoParams{ChatID: chatID, MessageThreadID: thread, Video: file, Caption: caption, CaptionEntities: ents,
				Width: int(info.Width), Height: int(info.Height), Duration: int(info.DurationMs / 1000), HasSpoiler: a.Spoiler, ReplyParameters: reply})
		default:
			return s.bot.SendDocument(ctx, &bot.SendDocumentParams{ChatID: chatID, MessageThreadID: thread, Document: file, Caption: caption, CaptionEntities: ents, ReplyParameters: reply})
		}
	})
	if openErr != nil {
		return nil, openErr
	}
	if err != nil {
		return nil, commandError("sending this file", err)
	}
	s.topicOfMsg.set(chatID, m.ID, thread)
	if done != nil {
		done()
	}
	return m, nil
}

// mergeInfo fills what the attachment left unsaid from the upload's info.
func mergeInfo(a, u *pb.MediaInfo) *pb.MediaInfo {
	if a.Name == "" {
		a.Name = u.Name
	}
	if a.MimeType == "" {
		a.MimeType = u.MimeType
	}
	if a.Width == 0 {
		a.Width, a.Height = u.Width, u.Height
	}
	if a.DurationMs == 0 {
		a.DurationMs = u.DurationMs
	}
	a.VoiceNote = a.VoiceNote || u.VoiceNote
	return a
}

// fileString is an open for a file Telegram has (a file_id) or fetches
// (a URL).
func fileString(v string) func() (models.InputFile, func(), error) {
	return func() (models.InputFile, func(), error) { return &models.InputFileString{Data: v}, func() {}, nil }
}

func ref(fileID string) *pb.Attachment_Ref { return &pb.Attachment_Ref{Ref: fileID} }
