package pluginhost

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// eventsStream is the host's end of an Events stream: Recv hands out
// evs, then waits for ctx; Send notes the acks.
type eventsStream struct {
	pb.Transport_EventsClient
	ctx  context.Context
	evs  chan *pb.Event
	acks chan uint64
}

func (s *eventsStream) Recv() (*pb.Event, error) {
	select {
	case ev := <-s.evs:
		return ev, nil
	case <-s.ctx.Done():
		return nil, s.ctx.Err()
	}
}

func (s *eventsStream) Send(a *pb.EventAck) error {
	s.acks <- a.UpToSeq
	return nil
}

// TestEventsStoreFailureEndsRun: a batch the gateway failed to store
// ends the run at once (the plugin sends it again to the next run), not
// at the next event. Before, pumpEvents noticed the failure only when
// another event came: after the last one of a quiet chat, never, and
// that event stayed unstored and unacknowledged.
func TestEventsStoreFailureEndsRun(t *testing.T) {
	failed := errors.New("disk full")
	h := New(Config{Name: "echo", Log: slog.New(slog.DiscardHandler),
		OnEvents: func(context.Context, []*pb.Event) <-chan error {
			ch := make(chan error, 1)
			ch <- failed
			return ch
		}})
	var wg sync.WaitGroup
	defer wg.Wait() // the pump's helpers, after ctx ends
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &eventsStream{ctx: ctx, evs: make(chan *pb.Event, 1), acks: make(chan uint64, 1)}
	s.evs <- &pb.Event{Seq: 1}
	done := make(chan error, 1)
	go func() { done <- h.pumpEvents(ctx, s, &wg) }()
	select {
	case err := <-done:
		if !errors.Is(err, failed) {
			t.Fatalf("pumpEvents = %v, want the store's error", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the run goes on after its events were not stored")
	}
	select {
	case seq := <-s.acks:
		t.Fatalf("ack up to %d of an event not stored", seq)
	default:
	}
}
