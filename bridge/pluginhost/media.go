package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"io"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// ChunkSize is the most data one MediaChunk carries (the contract's
// limit): each side holds about one chunk of a file at a time.
const ChunkSize = sdk.MediaChunkSize

// ErrTooLarge is a file past the size limit the host set; a *TooLargeError
// unwraps to it.
var ErrTooLarge = errors.New("file too large")

// TooLargeError is a file past Limit bytes. Size is its size when the
// plugin said it, else 0.
type TooLargeError struct{ Limit, Size int64 }

func (e *TooLargeError) Error() string {
	if e.Size > 0 {
		return fmt.Sprintf("the file is %d bytes, more than the limit of %d", e.Size, e.Limit)
	}
	return fmt.Sprintf("the file is larger than the limit of %d bytes", e.Limit)
}

func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

// BrokenError is a transfer cut off partway: what was read of the file is
// not the file.
type BrokenError struct {
	Done, Size int64 // bytes through, and the file's size (-1 unknown)
	Err        error
}

func (e *BrokenError) Error() string {
	if e.Size >= 0 {
		return fmt.Sprintf("the transfer broke off after %d of %d bytes: %v", e.Done, e.Size, e.Err)
	}
	return fmt.Sprintf("the transfer broke off after %d bytes: %v", e.Done, e.Err)
}

func (e *BrokenError) Unwrap() error { return e.Err }

// MediaReader reads a file the plugin streams with DownloadMedia, one
// chunk in memory at a time. It ends with io.EOF only when the whole file
// came (as many bytes as the plugin announced, when it did); a stream
// that breaks, or a file past the limit, is an error instead.
type MediaReader struct {
	stream pb.Transport_DownloadMediaClient
	cancel context.CancelFunc
	info   *pb.MediaInfo
	limit  int64
	buf    []byte
	n      int64
	err    error
	// empty counts the chunks in a row that carried no data.
	empty int
}

// maxEmptyChunks bounds the chunks without data in a row a download
// takes: a plugin that sends them in a loop would keep the reader (and
// the chat whose file it is) busy until the transfer's time limit, at
// the speed of the stream. The SDK sends none past the first.
const maxEmptyChunks = 256

// OpenMedia starts the download of ref and waits for its first chunk, so
// that the file's metadata is known (Info) and a refusal (no such file,
// not supported) is an error here. limit > 0 caps the file's size:
// a plugin announcing more is refused at once, one sending more fails
// the read. Close ends the download, whole or not.
func OpenMedia(ctx context.Context, client pb.TransportClient, ref *pb.MediaRef, limit int64) (*MediaReader, error) {
	ctx, cancel := context.WithCancel(ctx)
	stream, err := client.DownloadMedia(ctx, ref)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("download %q: %w", ref.Ref, pluginError(err))
	}
	first, err := stream.Recv()
	if err != nil {
		cancel()
		if errors.Is(err, io.EOF) {
			err = errors.New("the plugin sent nothing")
		}
		return nil, fmt.Errorf("download %q: %w", ref.Ref, pluginError(err))
	}
	info := first.GetInfo()
	if info == nil {
		info = &pb.MediaInfo{Size: -1}
	}
	r := &MediaReader{stream: stream, cancel: cancel, info: info, limit: limit}
	if limit > 0 && info.Size > limit {
		cancel()
		return nil, fmt.Errorf("download %q: %w", ref.Ref, &TooLargeError{Limit: limit, Size: info.Size})
	}
	if err := r.take(first.Data); err != nil {
		cancel()
		return nil, err
	}
	return r, nil
}

// Info is the file's metadata as the plugin gave it with the first chunk
// (Size -1 when unknown); never nil.
func (r *MediaReader) Info() *pb.MediaInfo { return r.info }

// N is the number of bytes received so far.
func (r *MediaReader) N() int64 { return r.n }

// take accepts a chunk's data, checking the limits.
func (r *MediaReader) take(data []byte) error {
	if len(data) > ChunkSize {
		r.err = &BrokenError{Done: r.n, Size: r.info.Size, Err: fmt.Errorf("a chunk of %d bytes, more than %d", len(data), ChunkSize)}
		return r.err
	}
	r.n += int64(len(data))
	switch {
	case r.limit > 0 && r.n > r.limit:
		r.err = &TooLargeError{Limit: r.limit, Size: r.info.Size}
	case r.info.Size >= 0 && r.n > r.info.Size:
		r.err = &BrokenError{Done: r.n, Size: r.info.Size, Err: errors.New("the plugin sent more than the file's size")}
	}
	r.buf = data
	return r.err
}

// Read reads the file's next bytes.
func (r *MediaReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		c, err := r.stream.Recv()
		switch {
		case errors.Is(err, io.EOF):
			if r.info.Size >= 0 && r.n != r.info.Size {
				r.err = &BrokenError{Done: r.n, Size: r.info.Size, Err: io.ErrUnexpectedEOF}
			} else {
				r.err = io.EOF
			}
		case err != nil:
			r.err = &BrokenError{Done: r.n, Size: r.info.Size, Err: pluginError(err)}
		case len(c.Data) == 0:
			if r.empty++; r.empty >= maxEmptyChunks {
				r.err = &BrokenError{Done: r.n, Size: r.info.Size, Err: fmt.Errorf("the plugin sent %d chunks in a row without data", r.empty)}
			}
		default:
			r.empty = 0
			if r.take(c.Data) != nil {
				r.buf = nil
			}
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// Close ends the download; the plugin sees it cancelled when it was not
// read to its end.
func (r *MediaReader) Close() error {
	r.cancel()
	r.buf = nil
	if r.err == nil {
		r.err = errors.New("download closed")
	}
	return nil
}

// MediaWriter streams a file to the plugin's UploadMedia: Write sends the
// data in chunks of ChunkSize as it comes, Close finishes the upload and
// returns the plugin's upload ID, Abort gives up (the plugin sees the
// stream cancelled and must drop what it got).
type MediaWriter struct {
	stream pb.Transport_UploadMediaClient
	cancel context.CancelFunc
	first  *pb.MediaChunk // the first chunk, with the metadata, until sent
	buf    []byte
	limit  int64
	size   int64 // announced, -1 unknown
	n      int64
	err    error
}

// NewMediaWriter starts an upload for loginID of a file described by
// info. limit > 0 caps the file's size: info announcing more is refused
// at once, a Write going past it fails and aborts the upload.
func NewMediaWriter(ctx context.Context, client pb.TransportClient, loginID string, info *pb.MediaInfo, limit int64) (*MediaWriter, error) {
	if info == nil {
		info = &pb.MediaInfo{Size: -1}
	}
	if limit > 0 && info.Size > limit {
		return nil, fmt.Errorf("upload: %w", &TooLargeError{Limit: limit, Size: info.Size})
	}
	ctx, cancel := context.WithCancel(ctx)
	stream, err := client.UploadMedia(ctx)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("upload: %w", pluginError(err))
	}
	return &MediaWriter{stream: stream, cancel: cancel, limit: limit, size: info.Size,
		first: &pb.MediaChunk{Info: info, LoginId: loginID}}, nil
}

// Write sends p, in chunks as they fill.
func (w *MediaWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.limit > 0 && w.n+int64(len(p)) > w.limit {
		w.Abort()
		w.err = &TooLargeError{Limit: w.limit}
		return 0, w.err
	}
	written := 0
	for len(p) > 0 {
		if w.buf == nil {
			// A new buffer per chunk: gRPC may hold a sent message.
			w.buf = make([]byte, 0, ChunkSize)
		}
		k := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf = w.buf[:len(w.buf)+k]
		p = p[k:]
		written += k
		w.n += int64(k)
		if len(w.buf) == cap(w.buf) {
			if err := w.flush(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// ReadFrom reads r into whole chunks directly, sparing a copy.
func (w *MediaWriter) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for w.err == nil {
		if w.buf == nil {
			w.buf = make([]byte, 0, ChunkSize)
		}
		k, err := io.ReadFull(r, w.buf[len(w.buf):cap(w.buf)])
		w.buf = w.buf[:len(w.buf)+k]
		total += int64(k)
		w.n += int64(k)
		if w.limit > 0 && w.n > w.limit {
			w.Abort()
			w.err = &TooLargeError{Limit: w.limit}
			return total, w.err
		}
		if len(w.buf) == cap(w.buf) {
			if ferr := w.flush(); ferr != nil {
				return total, ferr
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return total, nil
		default:
			return total, err
		}
	}
	return total, w.err
}

// flush sends the buffered data as one chunk.
func (w *MediaWriter) flush() error {
	c := w.first
	if c == nil {
		c = &pb.MediaChunk{}
	}
	c.Data = w.buf
	w.first, w.buf = nil, nil
	if err := w.stream.Send(c); err != nil {
		if errors.Is(err, io.EOF) {
			// The plugin ended the stream: its answer says why.
			_, err = w.stream.CloseAndRecv()
		}
		w.cancel()
		w.err = fmt.Errorf("upload: %w", pluginError(err))
		return w.err
	}
	return nil
}

// Close sends what is left and waits for the plugin's upload ID.
func (w *MediaWriter) Close() (uploadID string, err error) {
	if w.err != nil {
		return "", w.err
	}
	defer w.cancel()
	if len(w.buf) > 0 || w.first != nil {
		if err := w.flush(); err != nil {
			return "", err
		}
	}
	if w.size >= 0 && w.n != w.size {
		w.cancel()
		w.err = fmt.Errorf("upload: %d bytes sent, the file was announced as %d", w.n, w.size)
		return "", w.err
	}
	res, err := w.stream.CloseAndRecv()
	if err != nil {
		w.err = fmt.Errorf("upload: %w", pluginError(err))
		return "", w.err
	}
	if res.GetUploadId() == "" {
		w.err = errors.New("upload: the plugin returned no upload ID")
		return "", w.err
	}
	w.err = errors.New("upload closed")
	return res.UploadId, nil
}

// Abort gives up the upload.
func (w *MediaWriter) Abort() {
	w.cancel()
	if w.err == nil {
		w.err = errors.New("upload aborted")
	}
}

// UploadMedia streams r to the plugin's UploadMedia for loginID and
// returns the upload ID; see NewMediaWriter for limit. An error reading r
// aborts the upload.
func UploadMedia(ctx context.Context, client pb.TransportClient, loginID string, info *pb.MediaInfo, r io.Reader, limit int64) (string, error) {
	w, err := NewMediaWriter(ctx, client, loginID, info, limit)
	if err != nil {
		return "", err
	}
	if _, err := w.ReadFrom(r); err != nil {
		w.Abort()
		return "", err
	}
	return w.Close()
}

// pluginError turns a gRPC status into the plugin's error (*sdk.Error),
// keeping a cancellation as it is.
func pluginError(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if e := sdk.FromGRPC(err); e != nil {
		return e
	}
	return err
}
