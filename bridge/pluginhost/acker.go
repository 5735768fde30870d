package pluginhost

import (
	"context"
	"fmt"
	"sync"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// AckStallWarn is how long an acknowledgement of the Events stream may
// wait for the plugin to read it before the host warns that the plugin
// does not read them. A variable for the tests.
var AckStallWarn = 30 * time.Second

// acker sends the Events stream's acknowledgements on a goroutine of its
// own, the latest only: an ack covers every event up to its seq, so one
// that waits for the plugin to read the stream (a plugin that never
// reads its acks fills the stream's flow-control window) is replaced by
// the next, and the pump goes on receiving and storing events. Before,
// the pump waited for each ack's Send: such a plugin stopped the
// transport's deliveries, with nothing in the log.
type acker struct {
	h      *Host
	stream pb.Transport_EventsClient
	errs   chan<- error

	mu     sync.Mutex
	latest uint64        // the seq to acknowledge next
	wake   chan struct{} // signalled when latest moves
}

// newAcker starts an acker on wg; it ends with ctx or a failed send.
func newAcker(ctx context.Context, h *Host, stream pb.Transport_EventsClient, errs chan<- error, wg *sync.WaitGroup) *acker {
	a := &acker{h: h, stream: stream, errs: errs, wake: make(chan struct{}, 1)}
	wg.Go(func() { a.run(ctx) })
	return a
}

// upTo has every event up to seq, stored, acknowledged.
func (a *acker) upTo(seq uint64) {
	a.mu.Lock()
	a.latest = max(a.latest, seq)
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

func (a *acker) run(ctx context.Context) {
	var sent uint64
	for {
		select {
		case <-a.wake:
		case <-ctx.Done():
			return
		}
		a.mu.Lock()
		seq := a.latest
		a.mu.Unlock()
		if seq <= sent {
			continue
		}
		if err := a.send(seq); err != nil {
			select {
			case a.errs <- fmt.Errorf("ack events: %w", err):
			default:
			}
			return
		}
		sent = seq
	}
}

// send sends one ack, and warns when the plugin takes longer than
// AckStallWarn to read it.
func (a *acker) send(seq uint64) error {
	start := time.Now()
	stalled := time.AfterFunc(AckStallWarn, func() {
		a.h.log.Warn("the transport plugin does not read the acknowledgements of its Events stream: its events are stored and delivered all the same, but it keeps them unacknowledged and sends them again at its next start (the gateway drops those it has); fix the plugin (the SDK reads them)",
			"plugin", a.h.cfg.Path, "waiting_ack_seq", seq, "waited", AckStallWarn)
	})
	err := a.stream.Send(&pb.EventAck{UpToSeq: seq})
	if !stalled.Stop() && err == nil {
		a.h.log.Info("the transport plugin read its Events acknowledgements again", "plugin", a.h.cfg.Path, "up_to_seq", seq, "waited", time.Since(start).Round(time.Millisecond))
	}
	return err
}
