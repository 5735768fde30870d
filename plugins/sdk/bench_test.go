package sdk

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// benchTransport answers every command at once and keeps nothing.
type benchTransport struct {
	fakeTransport
}

func (b *benchTransport) HandleCommand(_ context.Context, cmd *pb.Command) (Result, error) {
	return Result{MessageID: cmd.TxnId}, nil
}

// benchText makes events and commands about the size of a chat message
// stanza's content (the design notes measure with 600 bytes).
var benchText = strings.Repeat("passerelle ", 55)

func benchEvent(i int) *pb.Event {
	return &pb.Event{LoginId: "+33612345678", ChatId: "+33687654321", EventId: "3EB0" + strconv.Itoa(i),
		Sender:             &pb.Sender{UserId: "+33687654321", Name: "Bob"},
		TimestampUnixMicro: 1_700_000_000_000_000 + int64(i),
		Payload:            &pb.Event_Message{Message: &pb.MessageEvent{Text: benchText}}}
}

// BenchmarkEventRoundTrip measures an event from the plugin's Emit to the
// host's stream and the host's ack back, over a real gRPC connection on a
// Unix socket, with the journal in a data folder as in production.
func BenchmarkEventRoundTrip(b *testing.B) {
	setup := func(b *testing.B) (Host, pb.Transport_EventsClient) {
		f := &benchTransport{}
		c := startServer(b, f, b.TempDir())
		ctx, cancel := context.WithCancel(context.Background())
		b.Cleanup(cancel)
		stream, err := c.Events(ctx)
		if err != nil {
			b.Fatal(err)
		}
		return f.Host(), stream
	}

	// One event at a time: emit, receive, ack, and the plugin sees the ack
	// (EmitWait returns).
	b.Run("sequential", func(b *testing.B) {
		h, stream := setup(b)
		ctx := context.Background()
		b.ResetTimer()
		for i := range b.N {
			done := make(chan error, 1)
			go func() { done <- h.EmitWait(ctx, benchEvent(i)) }()
			ev, err := stream.Recv()
			if err != nil {
				b.Fatal(err)
			}
			if err := stream.Send(&pb.EventAck{UpToSeq: ev.Seq}); err != nil {
				b.Fatal(err)
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		}
	})

	// A burst: the plugin emits as fast as it can, the host receives and
	// acks every 64 events, as a host storing batches would.
	b.Run("pipelined", func(b *testing.B) {
		h, stream := setup(b)
		b.ResetTimer()
		go func() {
			for i := range b.N {
				h.Emit(benchEvent(i))
			}
		}()
		for i := range b.N {
			ev, err := stream.Recv()
			if err != nil {
				b.Fatal(err)
			}
			if ev.Seq != uint64(i+1) {
				b.Fatalf("seq %d, want %d", ev.Seq, i+1)
			}
			if ev.Seq%64 == 0 || i == b.N-1 {
				if err := stream.Send(&pb.EventAck{UpToSeq: ev.Seq}); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// BenchmarkCommandRoundTrip measures a send command on the Commands
// stream until its result comes back, over a real gRPC connection.
func BenchmarkCommandRoundTrip(b *testing.B) {
	connector := false
	setup := func(b *testing.B) pb.Transport_CommandsClient {
		var c pb.TransportClient
		if connector {
			// Through a Connector and its Session, as plugins run.
			c = startServer(b, newConnectorTransport[*plain](&testNet[*plain]{mk: func(l LoginInfo) *plain { return &plain{info: l} }}), "")
			if _, err := c.Connect(context.Background(), &pb.ConnectRequest{LoginId: "+33612345678"}); err != nil {
				b.Fatal(err)
			}
		} else {
			c = startServer(b, &benchTransport{}, "")
		}
		ctx, cancel := context.WithCancel(context.Background())
		b.Cleanup(cancel)
		stream, err := c.Commands(ctx)
		if err != nil {
			b.Fatal(err)
		}
		return stream
	}
	cmd := func(i, chats int) *pb.Command {
		return &pb.Command{CorrelationId: uint64(i + 1), LoginId: "+33612345678",
			ChatId: "chat" + strconv.Itoa(i%chats), TxnId: "origin-" + strconv.Itoa(i),
			Action: &pb.Command_Send{Send: &pb.SendMessage{Text: benchText}}}
	}

	b.Run("sequential", func(b *testing.B) {
		stream := setup(b)
		b.ResetTimer()
		for i := range b.N {
			if err := stream.Send(cmd(i, 1)); err != nil {
				b.Fatal(err)
			}
			r, err := stream.Recv()
			if err != nil {
				b.Fatal(err)
			}
			if r.CorrelationId != uint64(i+1) || r.Error != nil {
				b.Fatalf("result %v", r)
			}
		}
	})

	inflight := func(window, chats int) func(b *testing.B) {
		return func(b *testing.B) {
			stream := setup(b)
			tokens := make(chan struct{}, window)
			var wg sync.WaitGroup
			b.ResetTimer()
			wg.Go(func() {
				for i := range b.N {
					tokens <- struct{}{}
					if err := stream.Send(cmd(i, chats)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			seen := make([]bool, b.N)
			for range b.N {
				r, err := stream.Recv()
				if err != nil {
					b.Fatal(err)
				}
				if r.Error != nil || r.CorrelationId == 0 || r.CorrelationId > uint64(b.N) || seen[r.CorrelationId-1] {
					b.Fatalf("result %v", r)
				}
				seen[r.CorrelationId-1] = true
				<-tokens
			}
			wg.Wait()
		}
	}
	b.Run("inflight=64/chats=64", inflight(64, 64))
	b.Run("inflight=64/chats=1", inflight(64, 1))
	connector = true
	b.Run("connector/inflight=64/chats=64", inflight(64, 64))
}
