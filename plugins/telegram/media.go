package telegram

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gotd/td/telegram/downloader"
	"github.com/gotd/td/telegram/uploader"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var (
	_ sdk.MediaDownloader = (*Session)(nil)
	_ sdk.MediaUploader   = (*Session)(nil)
)

// mediaRef is an Attachment.ref: what a download needs. A file
// reference expires; the message's ID lets a download fetch a fresh one.
type mediaRef struct {
	Kind  string `json:"k"` // "photo" or "doc"
	ID    int64  `json:"id"`
	Hash  int64  `json:"h"`
	Ref   []byte `json:"r"`
	Thumb string `json:"t,omitempty"` // a photo's size
	Msg   int    `json:"m"`
	Size  int64  `json:"s,omitempty"`
	Mime  string `json:"mt,omitempty"`
	Name  string `json:"n,omitempty"`
}

// attachmentOf describes a message's photo or document by reference.
func (s *Session) attachmentOf(_ string, m *tg.Message) *pb.Attachment {
	if selfDestructText(m.Media) != "" {
		return nil // its text says it (content.go)
	}
	switch md := paidInner(m.Media).(type) { // paid media bought: its file (paidmedia.go)
	case *tg.MessageMediaPhoto:
		p, ok := md.Photo.(*tg.Photo)
		if !ok {
			return nil
		}
		typ, w, h, size := largest(p.Sizes)
		if typ == "" {
			return nil
		}
		ref := mediaRef{Kind: "photo", ID: p.ID, Hash: p.AccessHash, Ref: p.FileReference, Thumb: typ, Msg: m.ID, Size: size, Mime: "image/jpeg", Name: "photo.jpg"}
		return &pb.Attachment{Name: ref.Name, MimeType: ref.Mime, Size: sizeOrUnknown(size), Width: int32(w), Height: int32(h),
			Spoiler: md.Spoiler, Source: &pb.Attachment_Ref{Ref: encodeRef(ref)}}
	case *tg.MessageMediaDocument:
		d, ok := md.Document.(*tg.Document)
		if !ok {
			return nil
		}
		a := &pb.Attachment{MimeType: d.MimeType, Size: d.Size, Spoiler: md.Spoiler}
		sticker, alt := false, ""
		for _, at := range d.Attributes {
			switch at := at.(type) {
			case *tg.DocumentAttributeFilename:
				a.Name = at.FileName
			case *tg.DocumentAttributeVideo:
				a.Width, a.Height, a.DurationMs = int32(at.W), int32(at.H), int64(at.Duration*1000)
			case *tg.DocumentAttributeAudio:
				a.DurationMs, a.VoiceNote = int64(at.Duration)*1000, at.Voice
			case *tg.DocumentAttributeImageSize:
				a.Width, a.Height = int32(at.W), int32(at.H)
			case *tg.DocumentAttributeSticker:
				sticker, alt = true, at.Alt
			}
		}
		if a.Name == "" {
			a.Name = defaultName(d.MimeType, a.VoiceNote, sticker)
		}
		ref := mediaRef{Kind: "doc", ID: d.ID, Hash: d.AccessHash, Ref: d.FileReference, Msg: m.ID, Size: d.Size, Mime: d.MimeType, Name: a.Name}
		if sticker && d.MimeType == "application/x-tgsticker" {
			// An animated sticker is Lottie, which XMPP clients do not
			// show: its still thumbnail goes as the image.
			if typ, w, h, size := largest(d.Thumbs); typ != "" {
				ref.Thumb, ref.Size, ref.Mime, ref.Name = typ, size, "image/webp", "sticker.webp"
				a.Name, a.MimeType, a.Size, a.Width, a.Height = ref.Name, ref.Mime, sizeOrUnknown(size), int32(w), int32(h)
			}
		}
		if sticker {
			// The emoji the sender picked it for: what a client that
			// shows no image reads (the file's description), as in bot
			// mode. A sticker has no caption of its own to replace.
			a.Caption = alt
		}
		a.Source = &pb.Attachment_Ref{Ref: encodeRef(ref)}
		return a
	}
	return nil
}

func sizeOrUnknown(n int64) int64 {
	if n <= 0 {
		return -1
	}
	return n
}

func defaultName(mime string, voice, sticker bool) string {
	switch {
	case sticker && mime == "video/webm":
		return "sticker.webm"
	case sticker:
		return "sticker.webp"
	case voice:
		return "voice.ogg"
	case strings.HasPrefix(mime, "video/"):
		return "video.mp4"
	case strings.HasPrefix(mime, "audio/"):
		return "audio"
	}
	return "file"
}

// largest is a photo's biggest size: its type, width, height, bytes.
func largest(sizes []tg.PhotoSizeClass) (typ string, w, h int, size int64) {
	best := -1
	for _, sc := range sizes {
		switch ps := sc.(type) {
		case *tg.PhotoSize:
			if ps.W*ps.H > best {
				best, typ, w, h, size = ps.W*ps.H, ps.Type, ps.W, ps.H, int64(ps.Size)
			}
		case *tg.PhotoSizeProgressive:
			if ps.W*ps.H > best && len(ps.Sizes) > 0 {
				best, typ, w, h, size = ps.W*ps.H, ps.Type, ps.W, ps.H, int64(ps.Sizes[len(ps.Sizes)-1])
			}
		}
	}
	return typ, w, h, size
}

func encodeRef(r mediaRef) string {
	b, _ := json.Marshal(r)
	return string(b)
}

// DownloadMedia streams a photo or document from Telegram.
func (s *Session) DownloadMedia(ctx context.Context, chat, ref string) (*pb.MediaInfo, io.ReadCloser, error) {
	if s.bot != nil {
		return s.bot.DownloadMedia(ctx, chat, ref)
	}
	var r mediaRef
	if err := json.Unmarshal([]byte(ref), &r); err != nil || r.ID == 0 {
		return nil, nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: %q is no Telegram file reference", ref)
	}
	api, _, err := s.client()
	if err != nil {
		return nil, nil, err
	}
	pr, pw := io.Pipe()
	go func() {
		w := &countingWriter{w: pw}
		_, err := downloader.NewDownloader().Download(api, r.location()).Stream(ctx, w)
		if tgerr.Is(err, "FILE_REFERENCE_EXPIRED") && w.n == 0 && r.Msg != 0 {
			// The reference the message carried has expired (a file
			// delivered late): the message, asked for again, has a
			// fresh one.
			if err = s.refreshRef(ctx, api, chat, &r); err == nil {
				_, err = downloader.NewDownloader().Download(api, r.location()).Stream(ctx, w)
			}
		}
		pw.CloseWithError(cmdErr("download", err))
	}()
	info := &pb.MediaInfo{Name: r.Name, MimeType: r.Mime, Size: sizeOrUnknown(r.Size)}
	return info, pr, nil
}

// location is where a download reads the file.
func (r mediaRef) location() tg.InputFileLocationClass {
	if r.Kind == "photo" {
		return &tg.InputPhotoFileLocation{ID: r.ID, AccessHash: r.Hash, FileReference: r.Ref, ThumbSize: r.Thumb}
	}
	return &tg.InputDocumentFileLocation{ID: r.ID, AccessHash: r.Hash, FileReference: r.Ref, ThumbSize: r.Thumb}
}

// refreshRef asks Telegram for the message of r in chat again and takes
// the fresh file reference of its photo or document.
func (s *Session) refreshRef(ctx context.Context, api *tg.Client, chat string, r *mediaRef) error {
	res, err := s.getMessage(ctx, api, chat, r.Msg)
	if err != nil {
		return err
	}
	ms, ok := res.AsModified()
	if !ok {
		return errFileGone
	}
	for _, mc := range ms.GetMessages() {
		m, ok := mc.(*tg.Message)
		if !ok || m.ID != r.Msg {
			continue
		}
		switch md := paidInner(m.Media).(type) {
		case *tg.MessageMediaPhoto:
			if p, ok := md.Photo.(*tg.Photo); ok && r.Kind == "photo" && p.ID == r.ID {
				r.Hash, r.Ref = p.AccessHash, p.FileReference
				return nil
			}
		case *tg.MessageMediaDocument:
			if d, ok := md.Document.(*tg.Document); ok && r.Kind == "doc" && d.ID == r.ID {
				r.Hash, r.Ref = d.AccessHash, d.FileReference
				return nil
			}
		}
	}
	return errFileGone
}

// getMessage asks Telegram for message id of chat: messages.getMessages,
// or channels.getMessages in a supergroup or channel. Its errors are
// Telegram's, unwrapped.
func (s *Session) getMessage(ctx context.Context, api *tg.Client, chat string, id int) (tg.MessagesMessagesClass, error) {
	ids := []tg.InputMessageClass{&tg.InputMessageID{ID: id}}
	kind, cid, err := parsePeer(baseChat(chat))
	if err != nil {
		return nil, err
	}
	if kind != peerChannel {
		return api.MessagesGetMessages(ctx, ids)
	}
	ch, err := s.peers.inputChannel(cid)
	if err != nil {
		return nil, err
	}
	return api.ChannelsGetMessages(ctx, &tg.ChannelsGetMessagesRequest{Channel: ch, ID: ids})
}

// errFileGone is a file whose message is no longer on Telegram (or no
// longer holds it): there is nothing to download.
var errFileGone = sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: download: the file's message was deleted (or its file replaced) on Telegram")

// countingWriter counts what it passes on.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// uploads are files the host gave, uploaded to Telegram, waiting for the
// SendMessage that names them.
type uploads struct {
	mu    sync.Mutex
	files map[string]upload
}

type upload struct {
	file tg.InputFileClass
	info *pb.MediaInfo
	at   time.Time
}

// uploadTTL is how long an uploaded file waits for its message (Telegram
// keeps uploaded parts about a day).
const uploadTTL = 12 * time.Hour

func (u *uploads) put(f upload) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.files == nil {
		u.files = map[string]upload{}
	}
	for k, v := range u.files {
		if time.Since(v.at) > uploadTTL {
			delete(u.files, k)
		}
	}
	u.files[id] = f
	return id
}

// get finds an upload. It stays until its message went (drop): a send
// Telegram refused may be made again under the same upload ID.
func (u *uploads) get(id string) (upload, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	f, ok := u.files[id]
	return f, ok
}

// drop forgets an upload: its message went, or Telegram lost it.
func (u *uploads) drop(id string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.files, id)
}

// UploadMedia uploads a file to Telegram as it arrives.
func (s *Session) UploadMedia(ctx context.Context, info *pb.MediaInfo, r io.Reader) (string, error) {
	if s.bot != nil {
		return s.bot.UploadMedia(ctx, info, r)
	}
	api, _, err := s.client()
	if err != nil {
		return "", err
	}
	if info == nil {
		info = &pb.MediaInfo{Size: -1}
	}
	name := info.Name
	if name == "" {
		name = "file"
	}
	size := info.Size
	if size > MaxFileBytes {
		return "", tooLarge(name, size)
	}
	if size < 0 {
		size = 0 // unknown: gotd streams it, cut at the limit
		r = &capReader{r: r, left: MaxFileBytes}
	}
	f, err := uploader.NewUploader(api).Upload(ctx, uploader.NewUpload(name, r, size))
	if errors.Is(err, errTooLarge) {
		return "", tooLarge(name, -1)
	}
	if err != nil {
		return "", cmdErr("upload", err)
	}
	return s.uploads.put(upload{file: f, info: info, at: time.Now()}), nil
}

// MaxFileBytes is the largest file Telegram takes from an account: 4,000
// parts of 512 KiB (upload.saveBigFilePart's file_part runs from 0 to
// 3,999), 2,000 MiB; a Premium account may send twice as much, which the
// gateway does not know. A variable for the tests.
var MaxFileBytes int64 = 2000 << 20

// errTooLarge ends the upload of a file of unknown size past MaxFileBytes.
var errTooLarge = errors.New("telegram: file too large")

// tooLarge refuses a file over MaxFileBytes (size -1: found while
// uploading it).
func tooLarge(name string, size int64) error {
	if size < 0 {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_TOO_LARGE, "telegram: %s is larger than the %d MiB Telegram takes", name, MaxFileBytes>>20)
	}
	return sdk.Errorf(pb.ErrorCode_ERROR_CODE_TOO_LARGE, "telegram: %s is %d MiB; Telegram takes files of at most %d MiB", name, (size+(1<<20)-1)>>20, MaxFileBytes>>20)
}

// fileFits refuses an attachment over MaxFileBytes, when its size is
// known, before anything is uploaded (an upload made by UploadMedia was
// checked there).
func fileFits(a *pb.Attachment) error {
	size := a.Size
	switch src := a.Source.(type) {
	case *pb.Attachment_Path:
		if fi, err := os.Stat(src.Path); err == nil {
			size = fi.Size()
		}
	case *pb.Attachment_Data:
		size = int64(len(src.Data))
	}
	if size > MaxFileBytes {
		name := a.Name
		if name == "" {
			name = "the file"
		}
		return tooLarge(name, size)
	}
	return nil
}

// capReader reads at most left bytes of r, then fails with errTooLarge.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return 0, errTooLarge
	}
	return n, err
}

// photoMax is the largest file Telegram takes as a photo.
const photoMax = 10 << 20

// photoRefused reports whether Telegram refused an image as a photo (its
// shape, its size, its format), which it takes as a document.
func photoRefused(err error) bool {
	return tgerr.Is(err, "PHOTO_INVALID_DIMENSIONS", "PHOTO_SAVE_FILE_INVALID", "PHOTO_EXT_INVALID", "PHOTO_INVALID", "IMAGE_PROCESS_FAILED")
}

// inputMedia is an uploaded file as the media of a message: a photo when
// it is a JPEG or PNG image of at most photoMax, and asFile is not set;
// a document (video, voice note, file) else.
func inputMedia(f upload, a *pb.Attachment, asFile bool) tg.InputMediaClass {
	mime := a.MimeType
	if mime == "" {
		mime = f.info.MimeType
	}
	// Without its parameters ("audio/ogg; codecs=opus", the gateway's
	// type of a voice note, is audio/ogg here, as Telegram's apps send
	// one).
	mime, _, _ = strings.Cut(mime, ";")
	mime = strings.TrimSpace(mime)
	size := a.Size
	if size <= 0 {
		size = f.info.GetSize()
	}
	if (mime == "image/jpeg" || mime == "image/png") && size <= photoMax && !asFile {
		return &tg.InputMediaUploadedPhoto{File: f.file, Spoiler: a.Spoiler}
	}
	if mime == "" {
		mime = "application/octet-stream"
	}
	name := a.Name
	if name == "" {
		name = f.info.Name
	}
	attrs := []tg.DocumentAttributeClass{&tg.DocumentAttributeFilename{FileName: name}}
	dur := a.DurationMs
	if dur == 0 {
		dur = f.info.DurationMs
	}
	w, h := a.Width, a.Height
	if w == 0 {
		w, h = f.info.Width, f.info.Height
	}
	switch {
	case a.VoiceNote || f.info.VoiceNote:
		attrs = append(attrs, &tg.DocumentAttributeAudio{Voice: true, Duration: int(dur / 1000)})
	case strings.HasPrefix(mime, "video/"):
		attrs = append(attrs, &tg.DocumentAttributeVideo{Duration: float64(dur) / 1000, W: int(w), H: int(h), SupportsStreaming: true})
	case strings.HasPrefix(mime, "audio/"):
		attrs = append(attrs, &tg.DocumentAttributeAudio{Duration: int(dur / 1000)})
	}
	// Telegram's apps hide a picture or a video only: another file
	// marked hidden goes as it is.
	hide := a.Spoiler && (strings.HasPrefix(mime, "image/") || strings.HasPrefix(mime, "video/"))
	return &tg.InputMediaUploadedDocument{File: f.file, MimeType: mime, Attributes: attrs, Spoiler: hide}
}
