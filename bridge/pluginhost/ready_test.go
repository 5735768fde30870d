package pluginhost

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestReadyClientWaitsForOnReady: while OnReady runs, ReadyClient
// answers OnReady's own calls at once, and others only once it returned;
// one whose wait ends first hears that the transport is starting, not
// that it is down. Client did not wait: a login reached a plugin that
// had not loaded the stored logins yet.
func TestReadyClientWaitsForOnReady(t *testing.T) {
	inReady := make(chan error, 1)
	release := make(chan struct{})
	rec := &recorder{}
	var h *Host
	h = New(Config{Name: "echo", Path: plugintest.BuildBinary(t, echoPkg), DataDir: t.TempDir(), ConfigJSON: []byte("{}"), Domain: "echo.localhost",
		Log:      slog.New(slog.NewTextHandler(&syncbuf.Buffer{}, nil)),
		OnEvents: rec.onEvents,
		OnReady: func(ctx context.Context, _ *pb.Capabilities) {
			// What OnReady calls with its ctx must not wait for itself.
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := h.ReadyClient(wctx)
			cancel()
			select {
			case inReady <- err:
			default:
			}
			<-release
		}})
	running(t, h)
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free) // first: a failed test leaves OnReady waiting

	var err error
	select {
	case err = <-inReady:
	case <-time.After(30 * time.Second):
		t.Fatal("OnReady did not run")
	}
	if err != nil {
		t.Fatalf("ReadyClient within OnReady: %v", err)
	}
	if _, err := h.Client(); err != nil {
		t.Fatalf("Client while OnReady runs: %v", err)
	}
	short, cancelShort := context.WithTimeout(context.Background(), 100*time.Millisecond)
	_, err = h.ReadyClient(short)
	cancelShort()
	if !errors.Is(err, ErrStarting) {
		t.Fatalf("ReadyClient during OnReady: %v, want ErrStarting", err)
	}

	got := make(chan error, 1)
	go func() {
		wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := h.ReadyClient(wctx)
		got <- err
	}()
	free()
	if err := <-got; err != nil {
		t.Fatalf("ReadyClient once OnReady returned: %v", err)
	}
}
