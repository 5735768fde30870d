package sdk

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "passerelle.im/passerelle/plugins/proto"
)

// waitLimit bounds every wait in these tests; nothing depends on it being
// short, it only turns a hang into a failure.
const waitLimit = 30 * time.Second

// base answers every optional call of transport with UNSUPPORTED (or an
// empty list), for the fakes of these tests.
type base struct{}

func (base) WaitLogin(context.Context, string) (*pb.LoginStep, error) { return nil, ErrUnsupported }
func (base) CancelLogin(context.Context, string) error                { return nil }
func (base) Disconnect(context.Context, string) error                 { return nil }
func (base) Logout(context.Context, *pb.LogoutRequest) error          { return nil }
func (base) ResolveIdentifier(context.Context, *pb.ResolveIdentifierRequest) (*pb.Contact, error) {
	return nil, ErrUnsupported
}
func (base) ContactList(context.Context, string) ([]*pb.Contact, error) { return nil, nil }
func (base) ChatInfo(context.Context, *pb.ChatRef) (*pb.Chat, error)    { return nil, ErrUnsupported }
func (base) UserInfo(context.Context, string, string) (*pb.Contact, error) {
	return nil, ErrUnsupported
}
func (base) ChatList(context.Context, string) ([]*pb.Chat, error) { return nil, nil }
func (base) Backfill(context.Context, *pb.BackfillRequest) error  { return ErrUnsupported }
func (base) DownloadMedia(context.Context, *pb.MediaRef) (*pb.MediaInfo, io.ReadCloser, error) {
	return nil, nil, ErrUnsupported
}
func (base) UploadMedia(context.Context, string, *pb.MediaInfo, io.Reader) (string, error) {
	return "", ErrUnsupported
}

// fakeTransport records the commands it handles; handle decides their
// outcome (nil: success with message ID "m-<txn_id>").
type fakeTransport struct {
	base
	host Host

	mu       sync.Mutex
	handled  []*pb.Command
	byTxn    map[string]int
	handle   func(ctx context.Context, cmd *pb.Command) (Result, error)
	chatInfo func(chatID string) (*pb.Chat, error)
}

func newFakeTransport() *fakeTransport { return &fakeTransport{byTxn: map[string]int{}} }

func (f *fakeTransport) Init(_ context.Context, _ InitRequest, h Host) (*pb.Capabilities, error) {
	f.mu.Lock()
	f.host = h
	f.mu.Unlock()
	return &pb.Capabilities{Network: "fake"}, nil
}

func (f *fakeTransport) Host() Host {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.host
}

func (f *fakeTransport) LoginFlows(context.Context) ([]*pb.LoginFlow, error) {
	return []*pb.LoginFlow{{Id: "f"}}, nil
}

func (f *fakeTransport) StartLogin(context.Context, *pb.StartLoginRequest) (*pb.LoginStep, error) {
	return nil, nil // deliberately no answer and no error
}

func (f *fakeTransport) SubmitLoginInput(context.Context, string, map[string]string) (*pb.LoginStep, error) {
	return nil, Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no such process")
}

func (f *fakeTransport) Connect(_ context.Context, _ *pb.ConnectRequest, begin func()) error {
	begin()
	return nil
}

func (f *fakeTransport) ChatInfo(_ context.Context, req *pb.ChatRef) (*pb.Chat, error) {
	if f.chatInfo != nil {
		return f.chatInfo(req.ChatId)
	}
	return &pb.Chat{ChatId: req.ChatId}, nil
}

func (f *fakeTransport) HandleCommand(ctx context.Context, cmd *pb.Command) (Result, error) {
	f.mu.Lock()
	f.handled = append(f.handled, cmd)
	f.byTxn[cmd.TxnId]++
	handle := f.handle
	f.mu.Unlock()
	if handle != nil {
		return handle(ctx, cmd)
	}
	return Result{MessageID: "m-" + cmd.TxnId}, nil
}

func (f *fakeTransport) timesHandled(txn string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.byTxn[txn]
}

func (f *fakeTransport) handledCommands() []*pb.Command {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*pb.Command(nil), f.handled...)
}

// startServer serves tr over a real gRPC connection on a Unix socket, as
// go-plugin does, calls Init with dataDir and returns the host's client.
func startServer(tb testing.TB, tr transport, dataDir string, opts ...Option) pb.TransportClient {
	tb.Helper()
	c, _ := startServerCrash(tb, tr, dataDir, opts...)
	return c
}

// startServerCrash is startServer, with a function that ends the server
// as a killed process ends: no flush; the journal and the data folder's
// lock are let go, as the kernel lets them go.
func startServerCrash(tb testing.TB, tr transport, dataDir string, opts ...Option) (pb.TransportClient, func()) {
	tb.Helper()
	// Unix socket paths are short; t.TempDir can be too long.
	dir, err := os.MkdirTemp("", "sdk")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "s")
	lis, err := net.Listen("unix", path)
	if err != nil {
		tb.Fatal(err)
	}
	srv := grpc.NewServer(serverOptions()...)
	s := newServer(tr, opts...)
	pb.RegisterTransportServer(srv, s)
	go srv.Serve(lis)
	conn, err := grpc.NewClient("unix://"+path, append(DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		conn.Close()
		srv.Stop()
	})
	c := pb.NewTransportClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if _, err := c.Init(ctx, &pb.InitRequest{HostApiVersion: APIVersion, DataDir: dataDir}); err != nil {
		tb.Fatalf("Init: %v", err)
	}
	crash := func() {
		srv.Stop()
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.q != nil && s.q.j != nil {
			s.q.mu.Lock()
			s.q.j.f.Close()
			s.q.mu.Unlock()
		}
		if s.lock != nil {
			s.lock.Close()
		}
	}
	return c, crash
}

// testContext is a context for one test that ends with it.
func testContext(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	tb.Cleanup(cancel)
	return ctx
}

// msgEvent is a message of text, whose event_id is "e-" and the text; of
// a text too long for an ID (the tests' megabytes), "e-" and its length.
func msgEvent(text string) *pb.Event {
	id := "e-" + text
	if len(id) > MaxIDBytes {
		id = "e-" + strconv.Itoa(len(text))
	}
	return &pb.Event{LoginId: "l", ChatId: "c", EventId: id,
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// logBuffer keeps what a JSON logger wrote, for a test to read while
// goroutines may still log.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// logger is a JSON logger writing to l.
func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewJSONHandler(l, nil)) }

func seqs(evs []*pb.Event) []uint64 {
	out := make([]uint64, len(evs))
	for i, ev := range evs {
		out[i] = ev.Seq
	}
	return out
}
