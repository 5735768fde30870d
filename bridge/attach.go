package bridge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"passerelle.im/passerelle/bridge/media"
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

// attach checks that the message's contact exists, then fetches the file
// at url into the plugin's data folder and adds it to send. On failure it
// answers st and returns false; else it returns the file's path, which
// the caller removes once the plugin is done with it.
func (t *transport) attach(ctx context.Context, st *wire.Stanza, loginID, chatID, url string, send *pb.SendMessage) (string, bool) {
	// Before the download: a message to nobody must not cost one.
	if err := t.knownContact(ctx, loginID, chatID); err != nil {
		cond, text := reply(err)
		t.send(ctx, wire.ErrorReply(st, cond, text))
		return "", false
	}
	att, err := t.fetchAttachment(ctx, url)
	if err != nil {
		t.log.Info("file not fetched", "user", bareOf(st.From()), "err", err)
		cond := wire.NotAcceptable
		if errors.Is(err, errIncomingFull) {
			cond = wire.ResourceConstraint
		}
		t.send(ctx, wire.ErrorReply(st, cond, fetchFailure(err)))
		return "", false
	}
	send.Attachments = []*pb.Attachment{att}
	if strings.TrimSpace(send.Text) == url {
		send.Text = ""
	}
	return att.GetPath(), true
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

// fetchAttachment fetches a file the user's client uploaded into the
// plugin's data folder, and hands the plugin its path.
func (t *transport) fetchAttachment(ctx context.Context, url string) (*pb.Attachment, error) {
	dir := filepath.Join(t.dataDir, "incoming")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("attachment folder: %w", err)
	}
	limit := t.mediaMax
	if caps := t.host.Caps(); caps != nil && caps.MaxAttachmentBytes > 0 && caps.MaxAttachmentBytes < limit {
		limit = caps.MaxAttachmentBytes
	}
	release, err := t.reserveIncoming(dir, limit)
	if err != nil {
		return nil, err
	}
	defer release()
	f, err := media.Fetch(ctx, t.fetcher, url, dir, limit)
	if err != nil {
		return nil, err
	}
	return &pb.Attachment{Name: f.Name, MimeType: f.MIME, Size: f.Size, Source: &pb.Attachment_Path{Path: f.Path}}, nil
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
	ctx, cancel := context.WithTimeout(ctx, uploadTimeout)
	defer cancel()
	open, size, cleanup, err := t.attachmentSource(ctx, a)
	if err != nil {
		return "", err
	}
	defer cleanup()
	name := media.SafeName(a.Name)
	r, err := open()
	if err != nil {
		return "", err
	}
	url, err := t.uploader.Upload(ctx, name, a.MimeType, size, r)
	r.Close()
	if err == nil {
		return url, nil
	}
	if !media.Fallback(err) || t.mediaServer == nil {
		if t.mediaServer == nil && media.Fallback(err) {
			return "", fmt.Errorf("%w; the gateway's own media endpoint is off ([media] listen)", err)
		}
		return "", err
	}
	t.log.Debug("upload not possible; serving the file from the gateway", "name", name, "err", err)
	if r, err = open(); err != nil {
		return "", err
	}
	defer r.Close()
	url, _, err = t.mediaServer.Put(ctx, name, a.MimeType, r)
	return url, err
}

// attachmentSource opens what an attachment points at, as often as
// needed, with its size; cleanup removes a file the plugin handed over.
func (t *transport) attachmentSource(ctx context.Context, a *pb.Attachment) (open func() (io.ReadCloser, error), size int64, cleanup func(), err error) {
	nothing := func() {}
	switch src := a.Source.(type) {
	case *pb.Attachment_Data:
		data := src.Data
		return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }, int64(len(data)), nothing, nil
	case *pb.Attachment_Path:
		path := filepath.Clean(src.Path)
		// Only files in the plugin's own folder: a plugin must not make
		// the gateway publish anything else it can read.
		if rel, err := filepath.Rel(t.dataDir, path); err != nil || strings.HasPrefix(rel, "..") {
			return nil, 0, nil, fmt.Errorf("attachment %q is outside the plugin's data folder", a.Name)
		}
		fi, err := os.Stat(path)
		if err != nil {
			return nil, 0, nil, fmt.Errorf("attachment: %w", err)
		}
		return func() (io.ReadCloser, error) { return os.Open(path) }, fi.Size(), func() { os.Remove(path) }, nil
	case *pb.Attachment_Url:
		dir := filepath.Join(t.dataDir, "incoming")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, 0, nil, err
		}
		f, err := media.Fetch(ctx, t.fetcher, src.Url, dir, t.mediaMax)
		if err != nil {
			return nil, 0, nil, err
		}
		return func() (io.ReadCloser, error) { return os.Open(f.Path) }, f.Size, func() { os.Remove(f.Path) }, nil
	}
	return nil, 0, nil, errors.New("attachment without data")
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
	return "the gateway could not fetch the file"
}
