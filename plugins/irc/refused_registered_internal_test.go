package irc

import (
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/ergochat/irc-go/ircevent"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// stateHost is a host that keeps the login states emitted.
type stateHost struct {
	sdk.Host
	mu     sync.Mutex
	states []*pb.LoginStateEvent
}

func (h *stateHost) Emit(ev *pb.Event) {
	if st := ev.GetLoginState(); st != nil {
		h.mu.Lock()
		h.states = append(h.states, st)
		h.mu.Unlock()
	}
}

func (h *stateHost) Logger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// A connection that registered and then ended (a KILL, the server's
// ERROR) before Connect saw the welcome, which irc-go's Connect then
// reports as a failure, keeps the state the disconnect callback gave,
// with the server's words: Connect's failure says nothing more. Before,
// it said "disconnected; reconnecting" after it, without the words
// (TestDisconnectSaysWhy failed so under load).
func TestRegisteredThenEndedBeforeConnectReturned(t *testing.T) {
	h := &stateHost{}
	s := newSession(&Network{host: h}, "kit@irc.test:6667", Account{Server: "irc.test", Port: 6667})
	s.welcomed = true
	s.attempt = &attempt{conn: &watchedConn{readErr: io.EOF}, registered: true}
	s.refused(&ircevent.Connection{}, ircevent.ServerDisconnected)
	if len(h.states) != 0 {
		t.Errorf("states after the disconnect callback's: %v; want none", h.states)
	}
}
