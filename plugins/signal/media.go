package signal

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/signal/rpc"
)

var (
	_ sdk.MediaUploader   = (*Session)(nil)
	_ sdk.MediaDownloader = (*Session)(nil)
)

// uploadsDir is where files to send wait for their SendMessage: the
// login's folder, which signal-cli (on the same machine) reads them from.
func (s *Session) uploadsDir() string {
	base := s.dir
	if base == "" {
		base = filepath.Join(s.n.dataDir, "uploads-"+fmt.Sprintf("%08x", hashString(s.loginID)))
	}
	return filepath.Join(base, "uploads")
}

// UploadMedia writes the file into the login's folder, under its own name
// (signal-cli sends the file's name with it).
func (s *Session) UploadMedia(_ context.Context, info *pb.MediaInfo, r io.Reader) (string, error) {
	if info.GetSize() > maxAttachmentBytes {
		return "", tooLarge(info.GetName(), info.GetSize())
	}
	s.sweepUploads(time.Now())
	b := make([]byte, 12)
	rand.Read(b)
	id := hex.EncodeToString(b)
	name := safeName(info.GetName())
	dir := filepath.Join(s.uploadsDir(), id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("signal: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("signal: %w", err)
	}
	// One byte more than Signal takes tells a file too large whose
	// size was not said, without writing the rest of it.
	n, err := io.Copy(f, io.LimitReader(r, maxAttachmentBytes+1))
	if err != nil {
		f.Close()
		os.RemoveAll(dir)
		return "", fmt.Errorf("signal: the file did not arrive whole: %w", err)
	}
	if n > maxAttachmentBytes {
		f.Close()
		os.RemoveAll(dir)
		return "", tooLarge(info.GetName(), n)
	}
	if err := f.Close(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("signal: %w", err)
	}
	return id + "/" + name, nil
}

// StaleUpload is how long an upload is kept for its SendMessage: one
// whose send failed, or never came (the gateway streams the file again
// after a restart, as a new upload), is not named again, and only a
// successful send removed it: without a sweep, every failed send of a
// file stayed in the login's folder for good.
var StaleUpload = 24 * time.Hour

// sweepUploads removes the uploads older than StaleUpload, at most once
// an hour.
func (s *Session) sweepUploads(now time.Time) {
	s.mu.Lock()
	if now.Sub(s.swept) < time.Hour && !s.swept.IsZero() {
		s.mu.Unlock()
		return
	}
	s.swept = now
	s.mu.Unlock()
	up := s.uploadsDir()
	entries, err := os.ReadDir(up)
	if err != nil {
		return // none yet
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || now.Sub(fi.ModTime()) < StaleUpload {
			continue
		}
		if err := os.RemoveAll(filepath.Join(up, e.Name())); err != nil {
			s.n.host.Logger().Warn("signal: a stale upload could not be removed", "login", s.loginID, "upload", e.Name(), "err", err)
		} else {
			s.n.host.Logger().Info("signal: a stale upload removed: its send failed or never came", "login", s.loginID, "upload", e.Name())
		}
	}
}

// tooLarge refuses a file over Signal's limit.
func tooLarge(name string, size int64) error {
	return sdk.Errorf(pb.ErrorCode_ERROR_CODE_TOO_LARGE, "the file %q is too large for Signal: %d MiB or more, over its %d MiB", name, size>>20, maxAttachmentBytes>>20)
}

// checkSize refuses the file at path when it is over Signal's limit.
func checkSize(name, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "the file %q is gone", name)
	}
	if fi.Size() > maxAttachmentBytes {
		return tooLarge(name, fi.Size())
	}
	return nil
}

// safeName is a file name without folders, never empty.
func safeName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == "/" || name == ".." || name == "" {
		return "file"
	}
	return name
}

// attachmentPath is the file a SendMessage attachment names.
func (s *Session) attachmentPath(a *pb.Attachment) (string, error) {
	switch src := a.Source.(type) {
	case *pb.Attachment_UploadId:
		id, name, ok := strings.Cut(src.UploadId, "/")
		if !ok || id == "" || strings.ContainsAny(id, "./\\") || safeName(name) != name {
			return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%q is no upload of this plugin", src.UploadId)
		}
		path := filepath.Join(s.uploadsDir(), id, name)
		if _, err := os.Stat(path); err != nil {
			return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "the upload %q is gone", src.UploadId)
		}
		return path, nil
	case *pb.Attachment_Data:
		// A small file inline: written out for signal-cli to read.
		id, err := s.UploadMedia(context.Background(), &pb.MediaInfo{Name: a.Name}, bytes.NewReader(src.Data))
		if err != nil {
			return "", err
		}
		return s.attachmentPath(&pb.Attachment{Source: &pb.Attachment_UploadId{UploadId: id}})
	case *pb.Attachment_Path:
		if !filepath.IsAbs(src.Path) {
			return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "the file %q is no absolute path", src.Path)
		}
		if err := checkSize(a.Name, src.Path); err != nil {
			return "", err
		}
		return src.Path, nil
	}
	return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "Signal takes files uploaded to the plugin first")
}

// removeUploads removes sent files: signal-cli has them now.
func (s *Session) removeUploads(paths []string) {
	up := s.uploadsDir()
	for _, p := range paths {
		if dir := filepath.Dir(p); filepath.Dir(dir) == up {
			os.RemoveAll(dir)
		}
	}
}

// DownloadMedia reads a received file: from signal-cli's attachments
// folder when the plugin runs the daemon, or the admin's daemon's
// data_dir is given and readable, else with getAttachment, whose answer
// (the file whole, base64, in one line) is decoded into the login's
// folder as it is read, up to Signal's 100 MiB; either way streamed.
func (s *Session) DownloadMedia(ctx context.Context, _ string, ref string) (*pb.MediaInfo, io.ReadCloser, error) {
	if pack, id, ok := parseStickerRef(ref); ok {
		return s.downloadSticker(ctx, pack, id)
	}
	if ref == "" || strings.ContainsAny(ref, "/\\") || ref == "." || ref == ".." {
		return nil, nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%q is no Signal attachment", ref)
	}
	if dir := s.n.signalData(); dir != "" {
		if f, err := os.Open(filepath.Join(dir, "attachments", ref)); err == nil {
			return nil, f, nil
		}
	}
	var path string
	var size int64
	err := s.readWith(ctx, "could not fetch the file", func(c *rpc.Client) error {
		var err error
		path, size, err = c.CallFile(ctx, "getAttachment", map[string]any{"account": s.rpcAccount(), "id": ref})
		return err
	})
	if errors.Is(err, rpc.ErrTooLarge) {
		return nil, nil, tooLarge(ref, maxAttachmentBytes+1)
	}
	if msg, ok := userErrorMessage(err); ok && strings.HasPrefix(msg, "Could not find attachment") {
		// signal-cli downloads each file as its message comes, and one
		// it could not download then (a network error, a file gone from
		// Signal's servers) it only logs: getAttachment never finds it.
		return nil, nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "could not fetch the file: signal-cli could not download it from Signal when the message came; see it on your phone")
	}
	if err != nil {
		return nil, nil, s.mapError("could not fetch the file", err)
	}
	f, err := os.Open(path)
	os.Remove(path) // read through the open file; gone once closed
	if err != nil {
		return nil, nil, fmt.Errorf("signal: %w", err)
	}
	return &pb.MediaInfo{Size: size}, f, nil
}

// readWith is callWith for a call that only reads (a file): one cut by
// signal-cli going away (it died, or was restarted) is made again once
// it is back, as reading twice does no harm; else the gateway's
// download of a message's file failed for good.
func (s *Session) readWith(ctx context.Context, what string, f func(c *rpc.Client) error) error {
	err := s.callWith(ctx, what, f)
	if errors.Is(err, rpc.ErrDisconnected) {
		s.n.host.Logger().Info("signal: signal-cli went away during a read; reading again once it is back", "login", s.loginID, "err", err)
		err = s.callWith(ctx, what, f)
	}
	return err
}

// dropViewOnce deletes the files of view-once media from signal-cli's
// attachments folder, where signal-cli downloaded them as it does every
// file: the user sees a notice instead (viewOnceText), so nothing would
// ever read or remove them. Without the daemon's folder (an admin's
// daemon, no data_dir) they stay: signal-cli's JSON-RPC deletes none.
func (s *Session) dropViewOnce(atts []attachment) {
	dir := s.n.signalData()
	if dir == "" {
		return
	}
	for _, a := range atts {
		if a.ID == "" || strings.ContainsAny(a.ID, "/\\") || a.ID == "." || a.ID == ".." {
			continue
		}
		if err := os.Remove(filepath.Join(dir, "attachments", a.ID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.n.host.Logger().Warn("signal: a view-once file could not be deleted from signal-cli's folder", "login", s.loginID, "file", a.ID, "err", err)
		}
	}
}

// KeepAttachments is how long a file signal-cli downloaded stays in the
// attachments folder of the daemon the plugin runs: the gateway reads
// it as the message's event is delivered, within minutes (again after a
// restart that replays the event), and keeps its own copy on the XMPP
// server's upload or its media endpoint; nothing reads it later, and
// signal-cli never removes one. A week leaves a stopped gateway's
// undelivered events their files.
var KeepAttachments = 7 * 24 * time.Hour

// sweepAttachments removes the files in the plugin's own signal-cli's
// attachments folder older than KeepAttachments, at most once an hour
// (each time files come). An admin's daemon's folder is the admin's:
// left as it is.
func (n *Network) sweepAttachments(now time.Time) {
	if n.daemon == nil {
		return
	}
	n.mu.Lock()
	if !n.attSwept.IsZero() && now.Sub(n.attSwept) < time.Hour {
		n.mu.Unlock()
		return
	}
	n.attSwept = now
	n.mu.Unlock()
	dir := filepath.Join(n.daemon.dataDir, "attachments")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return // none yet
	}
	removed := 0
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() || now.Sub(fi.ModTime()) < KeepAttachments {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			n.host.Logger().Warn("signal: an old download could not be removed from signal-cli's folder", "file", e.Name(), "err", err)
			continue
		}
		removed++
	}
	if removed > 0 {
		n.host.Logger().Info("signal: old downloads removed from signal-cli's folder", "files", removed, "older_than", KeepAttachments)
	}
}

// stickerRetryWait is the pause before getSticker is asked again for a
// sticker it did not find (downloadSticker).
const stickerRetryWait = 500 * time.Millisecond

// stickerTries bounds how often getSticker is asked for one sticker.
const stickerTries = 3

// downloadSticker reads a sticker's image with getSticker (signal-cli
// 0.13 and later). signal-cli downloads a pack it has not seen in a job
// of its own, after it wrote the envelope of the sticker's message, so
// the gateway asks for the image of a new pack's first sticker before
// it is there; and getSticker then fetches the pack but answers the
// sticker is not found all the same (ManagerImpl.retrieveSticker
// answers from what it had before the fetch). So it is asked again.
func (s *Session) downloadSticker(ctx context.Context, packID string, stickerID int) (*pb.MediaInfo, io.ReadCloser, error) {
	const what = "could not fetch the file"
	var b []byte
	for try := 1; ; try++ {
		var res struct {
			Data string `json:"data"`
		}
		p := map[string]any{"account": s.rpcAccount(), "packId": packID, "stickerId": stickerID}
		err := s.readWith(ctx, what, func(c *rpc.Client) error { return c.Call(ctx, "getSticker", p, &res) })
		if msg, ok := userErrorMessage(err); ok && strings.HasPrefix(msg, "Could not find sticker") {
			if try < stickerTries {
				select {
				case <-time.After(stickerRetryWait):
					continue
				case <-ctx.Done():
					return nil, nil, s.mapError(what, ctx.Err())
				}
			}
			return nil, nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%s: signal-cli could not fetch sticker %d of its pack from Signal; see it on your phone", what, stickerID)
		}
		if err != nil {
			return nil, nil, s.mapError(what, err)
		}
		if b, err = base64.StdEncoding.DecodeString(res.Data); err != nil {
			return nil, nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "signal-cli gave the sticker %d in a form that cannot be read: %v", stickerID, err)
		}
		break
	}
	// WebP, or APNG when animated: say which the bytes are.
	info := &pb.MediaInfo{Name: "sticker.webp", MimeType: http.DetectContentType(b), Size: int64(len(b))}
	if info.MimeType == "image/png" {
		info.Name = "sticker.png"
	}
	return info, io.NopCloser(bytes.NewReader(b)), nil
}
