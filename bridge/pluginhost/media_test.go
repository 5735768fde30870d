package pluginhost

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// mediaPlugin is the plugin's side of the media calls, over a real gRPC
// connection (in memory).
type mediaPlugin struct {
	pb.UnimplementedTransportServer
	files map[string][]byte
	info  *pb.MediaInfo // sent with the first chunk (nil: none)
	// breakAfter > 0 ends the download with an error after that many chunks.
	breakAfter int
	// short sends only this many bytes of the file (0: all).
	short int

	mu       sync.Mutex
	got      []byte
	gotInfo  *pb.MediaInfo
	gotLogin string
	chunks   []int
	ended    chan error // how each UploadMedia ended
	canceled chan struct{}
}

func (p *mediaPlugin) DownloadMedia(ref *pb.MediaRef, s pb.Transport_DownloadMediaServer) error {
	data, ok := p.files[ref.Ref]
	if !ok {
		return status.Errorf(codes.NotFound, "no file %q", ref.Ref)
	}
	if p.short > 0 {
		data = data[:p.short]
	}
	for i := 0; i == 0 || len(data) > 0; i++ {
		if p.breakAfter > 0 && i == p.breakAfter {
			return status.Error(codes.Unavailable, "connection to the network lost")
		}
		n := min(len(data), ChunkSize)
		c := &pb.MediaChunk{Data: data[:n]}
		if i == 0 {
			c.Info = p.info
		}
		if err := s.Send(c); err != nil {
			return err
		}
		data = data[n:]
	}
	if p.canceled != nil {
		select {
		case <-s.Context().Done():
			close(p.canceled)
		case <-time.After(5 * time.Second):
		}
	}
	return nil
}

func (p *mediaPlugin) UploadMedia(s pb.Transport_UploadMediaServer) error {
	var buf bytes.Buffer
	var err error
	defer func() { p.ended <- err }()
	for {
		var c *pb.MediaChunk
		c, err = s.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		p.mu.Lock()
		if c.Info != nil {
			p.gotInfo, p.gotLogin = c.Info, c.LoginId
		}
		p.chunks = append(p.chunks, len(c.Data))
		p.mu.Unlock()
		buf.Write(c.Data)
	}
	p.mu.Lock()
	p.got = buf.Bytes()
	p.mu.Unlock()
	return s.SendAndClose(&pb.UploadMediaResult{UploadId: "up-1"})
}

func mediaClient(t *testing.T, p *mediaPlugin) pb.TransportClient {
	t.Helper()
	if p.ended == nil {
		p.ended = make(chan error, 10)
	}
	ln := bufconn.Listen(4 << 20)
	srv := grpc.NewServer()
	pb.RegisterTransportServer(srv, p)
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	cc, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return ln.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return pb.NewTransportClient(cc)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestOpenMediaWhole(t *testing.T) {
	data := randomBytes(3*ChunkSize + 12345)
	p := &mediaPlugin{files: map[string][]byte{"f": data}, info: &pb.MediaInfo{Name: "a.bin", MimeType: "application/x-test", Size: int64(len(data)), Width: 7}}
	r, err := OpenMedia(testCtx(t), mediaClient(t, p), &pb.MediaRef{LoginId: "l", Ref: "f"}, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Info().GetName() != "a.bin" || r.Info().GetWidth() != 7 {
		t.Fatalf("info %v", r.Info())
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, data) || r.N() != int64(len(data)) {
		t.Fatalf("read %d bytes (%d counted), err %v", len(got), r.N(), err)
	}
}

// TestOpenMediaUnknownSize: without metadata the size is unknown (-1)
// and the file ends where the stream ends.
func TestOpenMediaUnknownSize(t *testing.T) {
	data := randomBytes(ChunkSize + 1)
	p := &mediaPlugin{files: map[string][]byte{"f": data}}
	r, err := OpenMedia(testCtx(t), mediaClient(t, p), &pb.MediaRef{Ref: "f"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Info().Size != -1 {
		t.Fatalf("size %d, want -1", r.Info().Size)
	}
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, err %v", len(got), err)
	}
}

func TestOpenMediaNotFound(t *testing.T) {
	p := &mediaPlugin{files: map[string][]byte{}}
	_, err := OpenMedia(testCtx(t), mediaClient(t, p), &pb.MediaRef{Ref: "gone"}, 0)
	var e *sdk.Error
	if !errors.As(err, &e) || e.Code != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Fatalf("err %v, want the plugin's NOT_FOUND", err)
	}
}

// TestOpenMediaTooLarge: a file announced over the limit is refused
// before any read; one of unknown size fails the read past the limit.
func TestOpenMediaTooLarge(t *testing.T) {
	data := randomBytes(2 * ChunkSize)
	p := &mediaPlugin{files: map[string][]byte{"f": data}, info: &pb.MediaInfo{Size: int64(len(data))}}
	c := mediaClient(t, p)
	_, err := OpenMedia(testCtx(t), c, &pb.MediaRef{Ref: "f"}, ChunkSize)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Limit != ChunkSize || tl.Size != int64(len(data)) {
		t.Fatalf("announced: err %v", err)
	}

	p.info = nil
	r, err := OpenMedia(testCtx(t), c, &pb.MediaRef{Ref: "f"}, ChunkSize+10)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.Copy(io.Discard, r); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("unannounced: err %v", err)
	}
}

// TestOpenMediaBroken: a stream that fails partway, or ends short of the
// announced size, is an error, never a clean end of file.
func TestOpenMediaBroken(t *testing.T) {
	data := randomBytes(3 * ChunkSize)
	p := &mediaPlugin{files: map[string][]byte{"f": data}, info: &pb.MediaInfo{Size: int64(len(data))}, breakAfter: 2}
	c := mediaClient(t, p)
	r, err := OpenMedia(testCtx(t), c, &pb.MediaRef{Ref: "f"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, r)
	var be *BrokenError
	var pe *sdk.Error
	if !errors.As(err, &be) || be.Done != 2*ChunkSize || n != 2*ChunkSize || !errors.As(err, &pe) || pe.Code != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Fatalf("broken stream: %d bytes, err %v", n, err)
	}
	r.Close()

	p.breakAfter, p.short = 0, ChunkSize+5
	r, err = OpenMedia(testCtx(t), c, &pb.MediaRef{Ref: "f"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.Copy(io.Discard, r); !errors.As(err, &be) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short stream: err %v", err)
	}
}

// TestOpenMediaClose: closing a download partway cancels the plugin's
// stream.
func TestOpenMediaClose(t *testing.T) {
	data := randomBytes(ChunkSize / 2)
	p := &mediaPlugin{files: map[string][]byte{"f": data}, canceled: make(chan struct{})}
	r, err := OpenMedia(testCtx(t), mediaClient(t, p), &pb.MediaRef{Ref: "f"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	select {
	case <-p.canceled:
	case <-time.After(5 * time.Second):
		t.Fatal("the plugin's stream was not cancelled")
	}
	if _, err := r.Read(make([]byte, 1)); err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("read after close: %v", err)
	}
}

func TestUploadMediaWhole(t *testing.T) {
	data := randomBytes(2*ChunkSize + 777)
	p := &mediaPlugin{}
	info := &pb.MediaInfo{Name: "x.bin", Size: int64(len(data))}
	// One byte at a time at first: chunks fill to ChunkSize all the same.
	r := io.MultiReader(iotest.OneByteReader(bytes.NewReader(data[:100])), bytes.NewReader(data[100:]))
	id, err := UploadMedia(testCtx(t), mediaClient(t, p), "login", info, r, int64(len(data)))
	if err != nil || id != "up-1" {
		t.Fatalf("id %q, err %v", id, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !bytes.Equal(p.got, data) || p.gotLogin != "login" || p.gotInfo.GetName() != "x.bin" {
		t.Fatalf("plugin got %d bytes, login %q, info %v", len(p.got), p.gotLogin, p.gotInfo)
	}
	for i, n := range p.chunks {
		if n > ChunkSize || (i < len(p.chunks)-1 && n != ChunkSize) {
			t.Fatalf("chunks %v", p.chunks)
		}
	}
}

// TestMediaWriter: the Writer form, with small writes.
func TestMediaWriter(t *testing.T) {
	data := randomBytes(ChunkSize + 3)
	p := &mediaPlugin{}
	w, err := NewMediaWriter(testCtx(t), mediaClient(t, p), "login", &pb.MediaInfo{Size: -1}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for b := data; len(b) > 0; b = b[min(len(b), 1000):] {
		if _, err := w.Write(b[:min(len(b), 1000)]); err != nil {
			t.Fatal(err)
		}
	}
	if id, err := w.Close(); err != nil || id != "up-1" {
		t.Fatalf("id %q, err %v", id, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !bytes.Equal(p.got, data) || len(p.chunks) != 2 {
		t.Fatalf("plugin got %d bytes in chunks %v", len(p.got), p.chunks)
	}
}

// TestUploadMediaRefused: over the limit, a broken source or a size other
// than announced cancel the upload: the plugin never completes it.
func TestUploadMediaRefused(t *testing.T) {
	data := randomBytes(2 * ChunkSize)
	p := &mediaPlugin{}
	c := mediaClient(t, p)
	ctx := testCtx(t)
	ended := func(what string) {
		t.Helper()
		select {
		case err := <-p.ended:
			if err == nil {
				t.Fatalf("%s: the plugin completed the upload", what)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the plugin's stream never ended", what)
		}
	}

	if _, err := UploadMedia(ctx, c, "l", &pb.MediaInfo{Size: 10 << 20}, bytes.NewReader(data), 1<<20); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("announced too large: %v", err)
	}
	_, err := UploadMedia(ctx, c, "l", &pb.MediaInfo{Size: -1}, bytes.NewReader(data), ChunkSize+1)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	ended("too large")

	broken := io.MultiReader(bytes.NewReader(data), iotest.ErrReader(errors.New("source broke")))
	if _, err := UploadMedia(ctx, c, "l", &pb.MediaInfo{Size: -1}, broken, 0); err == nil || err.Error() != "source broke" {
		t.Fatalf("broken source: %v", err)
	}
	ended("broken source")

	if _, err := UploadMedia(ctx, c, "l", &pb.MediaInfo{Size: int64(len(data)) + 1}, bytes.NewReader(data), 0); err == nil {
		t.Fatal("short of the announced size: no error")
	}
	ended("short")
}
