package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The History stream carries backfill apart from live events: the plugin
// sends a chat's past in batches, at most sdk.HistoryWindow of them not
// yet acknowledged, and the host acknowledges each only once
// Config.OnHistory stored it. Flow control is that window: a host that
// acknowledges late (its store or its users' lane for history is busy)
// slows the plugin's history down, and nothing else; the Events stream
// goes on beside it.

// historyBackoff bounds the wait before the History stream is opened
// again after it broke while the plugin kept running.
const historyBackoff = 10 * time.Second

// runHistory keeps the History stream of one plugin run open until ctx
// ends. It does not stop the run when the stream breaks: live events and
// commands do not depend on history. Batches the plugin sent and the host
// did not acknowledge come again on the next stream (or, after a restart
// of the plugin, are asked for again from the stored cursor).
func (h *Host) runHistory(ctx context.Context, client pb.TransportClient) {
	wait := 200 * time.Millisecond
	for ctx.Err() == nil {
		started := time.Now()
		err := h.pumpHistory(ctx, client)
		if ctx.Err() != nil {
			return
		}
		if status.Code(errors.Unwrap(err)) == codes.Unimplemented {
			h.log.Warn("the plugin declares backfill but has no History stream; no history is fetched", "err", err)
			return
		}
		if time.Since(started) > time.Minute {
			wait = 200 * time.Millisecond
		}
		h.log.Warn("history stream broke; opening it again", "err", err, "retry_in", wait)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return
		}
		wait = min(2*wait, historyBackoff)
	}
}

// pumpHistory reads batches in order, has each stored, then acknowledges
// it: store first, then ack, so a batch is never lost between the two.
func (h *Host) pumpHistory(ctx context.Context, client pb.TransportClient) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := client.History(sctx)
	if err != nil {
		return fmt.Errorf("open history stream: %w", err)
	}
	for {
		b, err := stream.Recv()
		if err != nil {
			return fmt.Errorf("history stream: %w", err)
		}
		if err := h.cfg.OnHistory(sctx, b); err != nil {
			// Not acknowledged: the plugin sends it again on the next
			// stream.
			return fmt.Errorf("store history batch %d of chat %s: %w", b.Seq, b.ChatId, err)
		}
		if err := stream.Send(&pb.HistoryAck{UpToSeq: b.Seq}); err != nil {
			return fmt.Errorf("ack history: %w", err)
		}
	}
}
