package sdk

import (
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "passerelle.im/passerelle/plugins/proto"
)

// MediaChunkSize is the most data one MediaChunk carries, each way: a
// file crosses the wire in pieces, and neither process holds more than a
// piece of it at a time.
const MediaChunkSize = 1 << 20

// DownloadMedia streams the session's file in chunks of MediaChunkSize,
// the first with the file's metadata.
func (s *server) DownloadMedia(req *pb.MediaRef, stream pb.Transport_DownloadMediaServer) error {
	info, r, err := s.t.DownloadMedia(stream.Context(), req)
	if err != nil {
		return toStatus(err)
	}
	if r == nil {
		return status.Error(codes.Internal, "plugin returned no file and no error")
	}
	defer r.Close()
	first := true
	for {
		// A buffer per chunk: gRPC may still hold a sent message (stats
		// handlers read it lazily), so one is not reused.
		buf := make([]byte, MediaChunkSize)
		n, rerr := io.ReadFull(r, buf)
		if n > 0 || first {
			c := &pb.MediaChunk{Data: buf[:n]}
			if first {
				c.Info, first = info, false
			}
			if err := stream.Send(c); err != nil {
				return err
			}
		}
		switch {
		case rerr == nil:
		case errors.Is(rerr, io.EOF), errors.Is(rerr, io.ErrUnexpectedEOF):
			return nil
		default:
			return toStatus(fmt.Errorf("read %s: %w", req.Ref, rerr))
		}
	}
}

// UploadMedia hands the session a reader over the chunks as they come.
func (s *server) UploadMedia(stream pb.Transport_UploadMediaServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	r := &chunkReader{stream: stream, buf: first.Data}
	if len(first.Data) > MediaChunkSize {
		return toStatus(Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a media chunk is %d bytes, more than %d", len(first.Data), MediaChunkSize))
	}
	id, err := s.t.UploadMedia(stream.Context(), first.LoginId, first.Info, r)
	if err != nil {
		if r.err != nil && !errors.Is(r.err, io.EOF) {
			// The stream broke, or a chunk was refused: that is the
			// error to report.
			err = r.err
		}
		return toStatus(err)
	}
	return stream.SendAndClose(&pb.UploadMediaResult{UploadId: id})
}

// chunkReader reads the data of an UploadMedia stream.
type chunkReader struct {
	stream pb.Transport_UploadMediaServer
	buf    []byte
	err    error
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		c, err := r.stream.Recv()
		if err != nil {
			r.err = err
			continue
		}
		if len(c.Data) > MediaChunkSize {
			r.err = Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a media chunk is %d bytes, more than %d", len(c.Data), MediaChunkSize)
			continue
		}
		r.buf = c.Data
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}
