package botmode_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/botmode"

	pb "passerelle.im/passerelle/plugins/proto"
)

// fakeHost records what a session emits, for tests of the session alone
// (the conformance test runs it under the real SDK).
type fakeHost struct {
	mu      sync.Mutex
	evs     []*pb.Event
	wake    chan struct{}
	durable error // EmitDurable's answer
	logs    logBuffer
}

// logBuffer keeps what the session logs, for tests that look at it.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newFakeHost() *fakeHost { return &fakeHost{wake: make(chan struct{})} }

func (h *fakeHost) Emit(ev *pb.Event) {
	// What the SDK could not journal or send (invalid UTF-8, say) is a
	// bug of the session.
	if _, err := proto.Marshal(ev); err != nil {
		panic(fmt.Sprintf("an event that cannot be sent: %v: %v", err, ev))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.evs = append(h.evs, proto.Clone(ev).(*pb.Event))
	close(h.wake)
	h.wake = make(chan struct{})
}

func (h *fakeHost) EmitWait(_ context.Context, ev *pb.Event) error { h.Emit(ev); return nil }

func (h *fakeHost) EmitDurable(_ context.Context, ev *pb.Event) error {
	h.Emit(ev)
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.durable
}

func (h *fakeHost) setDurable(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.durable = err
}

func (h *fakeHost) SendHistory(context.Context, *pb.HistoryBatch) error {
	return errors.New("no history in bot mode")
}

func (h *fakeHost) Logger() *slog.Logger { return slog.New(slog.NewTextHandler(&h.logs, nil)) }

func (h *fakeHost) events() []*pb.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*pb.Event(nil), h.evs...)
}

// waitFor waits until some event after the first from ones matches, and
// returns its index.
func (h *fakeHost) waitFor(t *testing.T, from int, what string, match func(*pb.Event) bool) int {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		h.mu.Lock()
		for i := from; i < len(h.evs); i++ {
			if match(h.evs[i]) {
				h.mu.Unlock()
				return i
			}
		}
		wake := h.wake
		h.mu.Unlock()
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("no %s after event %d; events: %v", what, from, h.events())
		}
	}
}

// waitEvent is waitFor's event.
func (h *fakeHost) waitEvent(t *testing.T, from int, what string, match func(*pb.Event) bool) *pb.Event {
	t.Helper()
	i := h.waitFor(t, from, what, match)
	return h.events()[i]
}

func isState(st pb.LoginState) func(*pb.Event) bool {
	return func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == st && ev.GetLoginState() != nil }
}

func isText(text string) func(*pb.Event) bool {
	return func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.GetMessage().Text == text }
}

func messages(evs []*pb.Event) []string {
	var out []string
	for _, ev := range evs {
		if m := ev.GetMessage(); m != nil {
			out = append(out, m.Text)
		}
	}
	return out
}

// login runs the login process against the fake API and returns the
// completed step.
func login(t *testing.T, api *fakeAPI) *pb.CompleteStep {
	t.Helper()
	p := botmode.NewLoginProcess(botmode.LoginOptions{ServerURL: api.URL()})
	step, err := p.(sdk.LoginSubmitter).Submit(context.Background(), map[string]string{botmode.FieldToken: testToken})
	if err != nil || step.GetComplete() == nil {
		t.Fatalf("login: %v %v", step, err)
	}
	return step.GetComplete()
}

// newSession makes a bot session on the fake API, in dir.
func newSession(t *testing.T, api *fakeAPI, h sdk.Host, dir string) *botmode.Session {
	t.Helper()
	done := login(t, api)
	s, err := botmode.NewSession(botmode.Config{Host: h, LoginID: done.LoginId, Dir: dir, SavedState: done.SavedState,
		ServerURL: api.URL(), PollTimeout: time.Second, MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Disconnect(context.Background()) })
	return s
}

func connect(t *testing.T, s *botmode.Session, h *fakeHost) {
	t.Helper()
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.waitFor(t, 0, "CONNECTED", isState(pb.LoginState_LOGIN_STATE_CONNECTED))
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
