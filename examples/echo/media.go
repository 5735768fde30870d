package echo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Files, streamed both ways. The gateway hands us a file the user sends
// with UploadMedia, in chunks, before the SendMessage naming its upload
// ID; we keep it on disk, as a network's servers would, and echo it back
// by reference (Attachment.ref): the gateway fetches it with
// DownloadMedia when it delivers the echo, again in chunks. Neither side
// ever holds a whole file in memory, whatever its size.
//
// Two kinds of names show what a network may do:
//
//	broken-*   the file breaks off halfway when the gateway downloads
//	           it, as with a flaky network: the gateway must tell the
//	           user, and deliver nothing
//	unsized-*  the network does not say the file's size before sending
//	           it: the gateway must learn it on the way
//	slowsend-* the network takes SlowSend to send the file: time for a
//	           test to kill the plugin between the upload and the send's
//	           answer
//	huge-*     the network announces the file as HugeSize bytes (as
//	           WhatsApp announces up to 2 GB): a gateway with a smaller
//	           limit must refuse it without downloading it
//
// An upload ID names an upload of this plugin process only, as on the
// networks whose uploads live in the plugin's memory (WhatsApp,
// Telegram): one from an earlier process is not found, and the gateway
// must stream the file again.
var (
	_ sdk.MediaUploader   = (*Session)(nil)
	_ sdk.MediaDownloader = (*Session)(nil)
)

// mediaKeep is how long a stored file is kept: long enough for the
// gateway to fetch its echo, retries included.
const mediaKeep = time.Hour

// storedFile is what we keep of a file beside its content.
type storedFile struct {
	Name string `json:"name"`
	MIME string `json:"mime"`
}

// mediaDir is where the network keeps the login's files: in the login's
// own folder, which the host removes at logout, else in one of ours.
func (s *Session) mediaDir() string {
	if s.dir != "" {
		return filepath.Join(s.dir, "media")
	}
	return filepath.Join(s.n.dataDir, "media", filepath.Base(s.loginID))
}

// UploadMedia stores the file the gateway streams to us and returns its
// ID. r yields the file as it arrives; an error from it (the user's
// upload cut off, a file over the limit) means no file: we remove what
// we wrote.
func (s *Session) UploadMedia(ctx context.Context, info *pb.MediaInfo, r io.Reader) (string, error) {
	dir := s.mediaDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("echo: %w", err)
	}
	s.n.sweepMedia(dir)
	id := s.n.newID()
	path := filepath.Join(dir, id)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("echo: %w", err)
	}
	_, err = io.Copy(f, r) // a chunk at a time
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		meta, _ := json.Marshal(storedFile{Name: info.GetName(), MIME: info.GetMimeType()})
		err = os.WriteFile(path+".json", meta, 0o600)
	}
	if err != nil {
		os.Remove(path)
		return "", fmt.Errorf("echo: storing %q: %w", info.GetName(), err)
	}
	return id, nil
}

// SlowSend is how long a "slowsend-" file takes to be sent.
const SlowSend = 2 * time.Second

// HugeSize is the size a "huge-" file is announced with.
const HugeSize = 2 << 30

// uploadedFile is the contact's copy of a file streamed to us: a
// reference to it, which the gateway streams back (DownloadMedia).
func (n *Network) uploadedFile(a *pb.Attachment) (*pb.Attachment, error) {
	id := a.GetUploadId()
	if !strings.HasPrefix(id, n.prefix+"-") {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "echo: no uploaded file %q (uploaded to another plugin process?)", id)
	}
	if strings.HasPrefix(a.Name, "slowsend-") {
		if n.host != nil {
			n.host.Logger().Info("echo: sending a slowsend- file", "name", a.Name, "upload_id", id)
		}
		time.Sleep(SlowSend)
	}
	size := a.Size
	if strings.HasPrefix(a.Name, "huge-") {
		size = HugeSize
	}
	return &pb.Attachment{Name: a.Name, MimeType: a.MimeType, Size: size, Source: &pb.Attachment_Ref{Ref: id}, Spoiler: a.Spoiler}, nil
}

// DownloadMedia opens a stored file for the gateway; the SDK streams it
// in chunks and closes it.
func (s *Session) DownloadMedia(_ context.Context, _, ref string) (*pb.MediaInfo, io.ReadCloser, error) {
	if !isID(ref) {
		return nil, nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no file %q", ref)
	}
	path := filepath.Join(s.mediaDir(), ref)
	var meta storedFile
	raw, err := os.ReadFile(path + ".json")
	if err == nil {
		err = json.Unmarshal(raw, &meta)
	}
	f, ferr := os.Open(path)
	if err != nil || ferr != nil {
		if f != nil {
			f.Close()
		}
		return nil, nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no file %q", ref)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("echo: %w", err)
	}
	info := &pb.MediaInfo{Name: meta.Name, MimeType: meta.MIME, Size: fi.Size()}
	var r io.ReadCloser = f
	switch {
	case strings.HasPrefix(meta.Name, "broken-"):
		r = &breakingReader{ReadCloser: f, left: fi.Size() / 2}
	case strings.HasPrefix(meta.Name, "unsized-"):
		info.Size = -1
	}
	return info, r, nil
}

// breakingReader fails once left bytes are read.
type breakingReader struct {
	io.ReadCloser
	left int64
}

func (b *breakingReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the echo network lost the file halfway (a broken- file)")
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// sweepMedia removes the files of dir older than mediaKeep.
func (n *Network) sweepMedia(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > mediaKeep {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
				continue
			}
		}
	}
}
