package bridge

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/bridge/media"
	"passerelle.im/passerelle/bridge/pluginhost"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// uploadTimeout bounds one file's way to the user's server (Prosody's
// upload handling is slow: about 2 to 3 MB/s measured here).
const uploadTimeout = 10 * time.Minute

// incomingMaxBytes caps the files downloaded for the plugin and not yet
// sent (the "incoming" folder): a download that could take it past the
// cap is refused until earlier ones are done.
const incomingMaxBytes = 1 << 30

// incomingStale is the age past which a file left in the incoming folder
// (by a crash) is removed.
const incomingStale = time.Hour

// errIncomingFull: the incoming folder is at its cap.
var errIncomingFull = errors.New("too many files are being sent; try again later")

// attached is a file the user sent, as the plugin has it: downloaded to
// path, which the caller removes once the plugin is done with it, or
// streamed to the plugin process of generation gen (pluginhost's
// Generation; 0 if not streamed), whose memory holds its upload ID.
type attached struct {
	path string
	gen  uint64
}

// attach checks that the message's contact exists, then fetches the file
// at url into the plugin's data folder, or streams it to the plugin, and
// adds it to send, hidden when spoiler (the message is marked as a
// spoiler, userMessage.spoiler). On failure it answers st and returns
// false.
func (t *transport) attach(ctx context.Context, st *wire.Stanza, loginID, chatID, url string, spoiler bool, send *pb.SendMessage) (attached, bool) {
	// Before the download: a message to nobody must not cost one.
	if err := t.knownContact(ctx, loginID, chatID); err != nil {
		if ctx.Err() != nil {
			return attached{}, false // stopping: see handleUserMessage
		}
		cond, text := reply(err)
		t.send(ctx, wire.ErrorReply(st, cond, text))
		return attached{}, false
	}
	var att *pb.Attachment
	var gen uint64
	var err error
	if t.host.Caps().GetFeatures().GetMediaUpload() {
		// Taken before the upload: a restart during it makes gen older
		// than the process holding the upload, which costs at most one
		// needless upload again (uploadLost), never a missed one.
		gen = t.host.Generation()
		att, err = t.streamAttachment(ctx, loginID, url, declaredDurationMs(st))
	} else {
		att, err = t.fetchAttachment(ctx, url, declaredDurationMs(st))
	}
	if err != nil {
		t.log.Info("file not fetched", "user", bareOf(st.From()), "err", err)
		if ctx.Err() != nil {
			return attached{}, false // stopping: see handleUserMessage
		}
		cond, text := fileRefusal(err)
		t.send(ctx, wire.ErrorReply(st, cond, text))
		return attached{}, false
	}
	// A spoiler's mark is the file's own: the text it would be a span
	// over is dropped below when it is only the file's address, and the
	// file went unhidden.
	att.Spoiler = spoiler
	send.Attachments = []*pb.Attachment{att}
	if strings.TrimSpace(send.Text) == url {
		send.Text = ""
	}
	if att.GetUploadId() == "" {
		gen = 0
	}
	return attached{path: att.GetPath(), gen: gen}, true
}

// uploadLost reports whether r, the answer to cmd, which carries file a,
// says that the plugin does not know a's upload because the process it
// was streamed to is gone: upload IDs live in a plugin process's memory,
// and the host sends a command in flight when the plugin died again, to
// the next process. The file is then to be streamed to it again. Plugins
// answer an unknown upload ID with NOT_FOUND. An answer with a message
// ID went, in part (partlySent: Signal's NOT_FOUND for a member the group
// send missed): it is never sent again.
func (t *transport) uploadLost(r *pb.CommandResult, cmd *pb.Command, a attached) bool {
	if r.GetError().GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND || partlySent(r) || a.gen == 0 || a.gen == t.host.Generation() {
		return false
	}
	for _, att := range cmd.GetSend().GetAttachments() {
		if att.GetUploadId() != "" {
			return true
		}
	}
	return false
}

// knownContact checks that chatID is a contact of the login: stored, or
// not unknown to the network. Only the network's "not found" counts: a
// plugin that cannot look the ID up (unsupported, a transient error)
// leaves the answer to the send.
func (t *transport) knownContact(ctx context.Context, loginID, chatID string) error {
	if _, err := t.db.GetPuppet(t.name, loginID, chatID); err == nil {
		return nil
	}
	client, err := t.client(ctx)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err = client.ResolveIdentifier(cctx, &pb.ResolveIdentifierRequest{LoginId: loginID, Identifier: chatID})
	if e := sdk.FromGRPC(err); e != nil && e.Code == pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		return err
	}
	return nil
}

// attachLimit is the largest file the user may send: the gateway's
// limit, or the plugin's when lower.
func (t *transport) attachLimit() int64 {
	limit := t.mediaMax
	if caps := t.host.Caps(); caps != nil && caps.MaxAttachmentBytes > 0 && caps.MaxAttachmentBytes < limit {
		limit = caps.MaxAttachmentBytes
	}
	return limit
}

// streamAttachment streams a file the user's client uploaded from its URL
// to the plugin's UploadMedia, a chunk at a time (nothing on disk, about
// a chunk in memory), and returns the attachment naming the upload. A
// recorded voice message (durationMs long, 0 if not said) is marked so.
func (t *transport) streamAttachment(ctx context.Context, loginID, url string, durationMs int64) (*pb.Attachment, error) {
	limit := t.attachLimit()
	d, err := media.Open(ctx, t.fetcher, url, limit)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	client, err := t.client(ctx)
	if err != nil {
		return nil, err
	}
	// The file's start, read before the upload begins: its first chunk
	// says whether it is a voice note. A read error stays for the upload.
	br := bufio.NewReaderSize(d, voiceHeadBytes)
	head, _ := br.Peek(voiceHeadBytes)
	att := &pb.Attachment{Name: d.Name, MimeType: d.MIME}
	info := &pb.MediaInfo{Name: d.Name, MimeType: d.MIME, Size: d.Size}
	r, marked := t.markVoiceStream(att, info, br, head, d.Size, durationMs)
	n := &countingReader{r: r}
	id, err := pluginhost.UploadMedia(ctx, client, loginID, info, n, limit)
	marked(err)
	if err != nil {
		return nil, err
	}
	att.Size, att.Source = n.n, &pb.Attachment_UploadId{UploadId: id}
	return att, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// fetchAttachment fetches a file the user's client uploaded into the
// plugin's data folder, and hands the plugin its path. A recorded voice
// message (durationMs long, 0 if not said) is marked so.
func (t *transport) fetchAttachment(ctx context.Context, url string, durationMs int64) (*pb.Attachment, error) {
	dir := filepath.Join(t.dataDir, "incoming")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("attachment folder: %w", err)
	}
	limit := t.attachLimit()
	release, err := t.reserveIncoming(dir, limit)
	if err != nil {
		return nil, err
	}
	defer release()
	f, err := media.Fetch(ctx, t.fetcher, url, dir, limit)
	if err != nil {
		return nil, err
	}
	att := &pb.Attachment{Name: f.Name, MimeType: f.MIME, Size: f.Size, Source: &pb.Attachment_Path{Path: f.Path}}
	t.markVoiceFile(att, f.Path, durationMs)
	return att, nil
}

// reserveIncoming makes room for a download of up to limit bytes in dir:
// it counts the files there and the downloads under way, removes files
// left there longer than incomingStale, and refuses with errIncomingFull
// when the cap would be passed. release ends the reservation.
func (t *transport) reserveIncoming(dir string, limit int64) (release func(), err error) {
	max := t.incomingMax
	if max <= 0 {
		max = incomingMaxBytes
	}
	t.incomingMu.Lock()
	defer t.incomingMu.Unlock()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("attachment folder: %w", err)
	}
	var used int64
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if time.Since(fi.ModTime()) > incomingStale {
			if os.Remove(filepath.Join(dir, e.Name())) == nil {
				t.log.Info("stale incoming file removed", "name", e.Name(), "size", fi.Size())
				continue
			}
		}
		used += fi.Size()
	}
	if used+t.incomingReserved+limit > max {
		return nil, fmt.Errorf("%w (%d bytes held, cap %d)", errIncomingFull, used+t.incomingReserved, max)
	}
	t.incomingReserved += limit
	var once sync.Once
	return func() {
		once.Do(func() {
			t.incomingMu.Lock()
			t.incomingReserved -= limit
			t.incomingMu.Unlock()
		})
	}, nil
}

// publish makes a file from the network reachable for the user's client:
// uploaded to the user's server (XEP-0363) or, where that is not possible,
// served by the gateway's own media endpoint. It returns the URL.
func (t *transport) publish(ctx context.Context, a *pb.Attachment) (string, error) {
	f, err := t.publishFile(ctx, "", "", a)
	return f.URL, err
}

// publishFile is publish for a file of loginID's chat chatID (whose
// plugin serves the attachment's ref), returning what a file message
// says of it: its URL, its metadata (the plugin's, merged in) and its
// SHA-256, taken on the way.
func (t *transport) publishFile(ctx context.Context, loginID, chatID string, a *pb.Attachment) (media.SharedFile, error) {
	ctx, cancel := context.WithTimeout(ctx, uploadTimeout)
	defer cancel()
	src, err := t.attachmentSource(ctx, loginID, chatID, a)
	if err != nil {
		return media.SharedFile{}, err
	}
	defer src.cleanup()
	f := sharedFile(src.meta, src.size)
	name := media.SafeName(f.Name)
	r, err := src.open()
	if err != nil {
		return f, err
	}
	h := sha256.New()
	f.URL, err = t.uploader.Upload(ctx, name, f.MIME, src.size, io.TeeReader(r, h))
	r.Close()
	if err == nil {
		f.SHA256 = h.Sum(nil)
		return f, nil
	}
	if !media.Fallback(err) || t.mediaServer == nil {
		if t.mediaServer == nil && media.Fallback(err) {
			return f, fmt.Errorf("%w; the gateway's own media endpoint is off ([media] listen)", err)
		}
		return f, err
	}
	t.log.Debug("upload not possible; serving the file from the gateway", "name", name, "err", err)
	if r, err = src.open(); err != nil {
		return f, err
	}
	defer r.Close()
	h.Reset()
	f.URL, _, err = t.mediaServer.Put(ctx, name, f.MIME, io.TeeReader(r, h))
	if err == nil {
		f.SHA256 = h.Sum(nil)
	}
	return f, err
}

// sharedFile is what a file message says of attachment a of size bytes.
func sharedFile(a *pb.Attachment, size int64) media.SharedFile {
	mt := media.FileType(a.MimeType, a.Name) // the network's words: parsed, or none
	major, _, _ := strings.Cut(mt, "/")
	return media.SharedFile{Name: a.Name, MIME: mt, Size: size, Width: int(a.Width), Height: int(a.Height),
		Duration: a.DurationMs, Caption: a.Caption, Thumbnail: a.Thumbnail, ThumbnailMIME: a.ThumbnailMime,
		Inline: major == "image" || major == "video" || major == "audio"}
}

// source is what an attachment points at: open opens it, as often as
// needed (each reader read to its end yields the whole file, else an
// error), size is its size, meta the attachment with what the plugin
// said of the file merged in; cleanup removes what was left on disk.
type source struct {
	open    func() (io.ReadCloser, error)
	size    int64
	meta    *pb.Attachment
	cleanup func()
}

// attachmentSource finds what an attachment points at.
func (t *transport) attachmentSource(ctx context.Context, loginID, chatID string, a *pb.Attachment) (source, error) {
	nothing := func() {}
	switch src := a.Source.(type) {
	case *pb.Attachment_Data:
		data := src.Data
		return source{open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }, size: int64(len(data)), meta: a, cleanup: nothing}, nil
	case *pb.Attachment_Path:
		path := filepath.Clean(src.Path)
		// Only files in the plugin's own folder: a plugin must not make
		// the gateway publish anything else it can read.
		if rel, err := filepath.Rel(t.dataDir, path); err != nil || strings.HasPrefix(rel, "..") {
			return source{}, fmt.Errorf("attachment %q is outside the plugin's data folder", a.Name)
		}
		fi, err := os.Stat(path)
		if err != nil {
			return source{}, fmt.Errorf("attachment: %w", err)
		}
		return source{open: func() (io.ReadCloser, error) { return os.Open(path) }, size: fi.Size(), meta: a, cleanup: func() { os.Remove(path) }}, nil
	case *pb.Attachment_Url:
		dir := filepath.Join(t.dataDir, "incoming")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return source{}, err
		}
		f, err := media.Fetch(ctx, t.fetcher, src.Url, dir, t.mediaMax)
		if err != nil {
			return source{}, err
		}
		return source{open: func() (io.ReadCloser, error) { return os.Open(f.Path) }, size: f.Size, meta: a, cleanup: func() { os.Remove(f.Path) }}, nil
	case *pb.Attachment_Ref:
		return t.refSource(ctx, &pb.MediaRef{LoginId: loginID, ChatId: chatID, Ref: src.Ref}, a)
	}
	return source{}, errors.New("attachment without data")
}

// refSource opens a file the network handed out by reference: streamed
// from the plugin's DownloadMedia straight into the upload when its size
// is known (the upload slot needs it), else first into a file in the
// incoming folder, to learn it.
func (t *transport) refSource(ctx context.Context, ref *pb.MediaRef, a *pb.Attachment) (source, error) {
	if t.mediaMax > 0 && a.GetSize() > t.mediaMax {
		// Announced over the limit: not asked for at all, as a plugin
		// may fetch the whole file (WhatsApp's, up to 2 GB) before it
		// streams a byte.
		return source{}, fmt.Errorf("download %q: %w", ref.Ref, &pluginhost.TooLargeError{Limit: t.mediaMax, Size: a.Size})
	}
	client, err := t.eventClient(ctx)
	if err != nil {
		return source{}, err
	}
	r, err := pluginhost.OpenMedia(ctx, client, ref, t.mediaMax)
	if err != nil {
		return source{}, err
	}
	meta := mergeInfo(a, r.Info())
	if size := r.Info().Size; size >= 0 {
		first := r
		open := func() (io.ReadCloser, error) {
			if first != nil {
				opened := first
				first = nil
				return opened, nil
			}
			return pluginhost.OpenMedia(ctx, client, ref, t.mediaMax)
		}
		return source{open: open, size: size, meta: meta, cleanup: func() {
			if first != nil {
				first.Close()
			}
		}}, nil
	}
	defer r.Close()
	dir := filepath.Join(t.dataDir, "incoming")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return source{}, fmt.Errorf("attachment folder: %w", err)
	}
	release, err := t.reserveIncoming(dir, t.mediaMax)
	if err != nil {
		return source{}, err
	}
	defer release()
	f, err := os.CreateTemp(dir, "ref-*")
	if err != nil {
		return source{}, fmt.Errorf("attachment folder: %w", err)
	}
	path := f.Name()
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return source{}, err
	}
	return source{open: func() (io.ReadCloser, error) { return os.Open(path) }, size: n, meta: meta, cleanup: func() { os.Remove(path) }}, nil
}

// mergeInfo is attachment a with what the plugin's download said of the
// file filled in where the attachment left it out.
func mergeInfo(a *pb.Attachment, info *pb.MediaInfo) *pb.Attachment {
	m := proto.Clone(a).(*pb.Attachment)
	if m.Name == "" {
		m.Name = info.GetName()
	}
	if m.MimeType == "" {
		m.MimeType = info.GetMimeType()
	}
	if m.Width == 0 && m.Height == 0 {
		m.Width, m.Height = info.GetWidth(), info.GetHeight()
	}
	if m.DurationMs == 0 {
		m.DurationMs = info.GetDurationMs()
	}
	if len(m.Thumbnail) == 0 {
		m.Thumbnail, m.ThumbnailMime = info.GetThumbnail(), info.GetThumbnailMime()
	}
	m.VoiceNote = m.VoiceNote || info.GetVoiceNote()
	return m
}

// fileRefusal is the error condition and text the user reads when a file
// they sent does not reach the network.
func fileRefusal(err error) (wire.Condition, string) {
	var pe *sdk.Error
	var tl *pluginhost.TooLargeError
	switch {
	case errors.As(err, &tl):
		return wire.NotAcceptable, fmt.Sprintf("the file was not sent: it is larger than %d bytes", tl.Limit)
	case errors.As(err, &pe):
		// The plugin's refusal, or its failure: its words are for the
		// user, as for any other send.
		return conditionOf(pe.Code), "the file was not sent: " + pe.Text
	case errors.Is(err, errIncomingFull):
		return wire.ResourceConstraint, fetchFailure(err)
	}
	return wire.NotAcceptable, fetchFailure(err)
}

// fileFailure is what the user reads in place of a file from the network
// that could not be bridged: plain words, no URL or address.
func fileFailure(name string, err error) string {
	var be *pluginhost.BrokenError
	var tl *pluginhost.TooLargeError
	switch {
	case errors.As(err, &be) && be.Size >= 0:
		return fmt.Sprintf("[the file %s could not be bridged: the network's transfer broke off after %d of %d bytes]", name, be.Done, be.Size)
	case errors.As(err, &be):
		return fmt.Sprintf("[the file %s could not be bridged: the network's transfer broke off after %d bytes]", name, be.Done)
	case errors.As(err, &tl):
		return fmt.Sprintf("[the file %s could not be bridged: it is larger than the gateway's limit of %d bytes]", name, tl.Limit)
	}
	return "[a file could not be bridged: " + name + " (" + err.Error() + ")]"
}

// fetchFailure is what the user reads of a failed fetch: the size limit,
// or only that it failed. The low-level error (addresses, ports, what
// answered) is for the log: it would let a user map the gateway's network.
func fetchFailure(err error) string {
	if errors.Is(err, errIncomingFull) {
		return "the gateway could not fetch the file: " + errIncomingFull.Error()
	}
	var tl *media.TooLargeError
	if errors.As(err, &tl) && tl.Limit > 0 {
		return fmt.Sprintf("the gateway could not fetch the file: it is larger than %d bytes", tl.Limit)
	}
	if errors.Is(err, media.ErrStalled) {
		return "the gateway could not fetch the file: its server stopped sending it"
	}
	return "the gateway could not fetch the file"
}
