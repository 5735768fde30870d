// Command noacks is a plugin that never reads the acknowledgements of
// its Events stream, for the host's tests: once the stream opens it
// sends NOACKS_EVENTS (default 40000) message events, one at a time with
// a pause between them (so that the host stores and acknowledges them
// in many small batches, whose acks fill the stream's flow-control
// window), then waits for the stream's end. Its Commands stream reads
// and answers nothing; with NOACKS_COMMANDS=FILE it reads the commands,
// appends each one's txn_id to FILE, a line each, and answers none.
package main

import (
	"context"
	"os"
	"strconv"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  sdk.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{sdk.APIVersion: {sdk.PluginName: &grpcPlugin{}}},
		GRPCServer:       plugin.DefaultGRPCServer,
		Logger:           hclog.New(&hclog.LoggerOptions{Output: os.Stderr, Level: hclog.Warn}),
	})
}

type grpcPlugin struct{ plugin.NetRPCUnsupportedPlugin }

func (grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterTransportServer(s, server{})
	return nil
}

func (grpcPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, nil
}

type server struct {
	pb.UnimplementedTransportServer
}

func (server) Init(context.Context, *pb.InitRequest) (*pb.Capabilities, error) {
	return &pb.Capabilities{ApiVersion: sdk.APIVersion, Network: "noacks"}, nil
}

func (server) Events(stream pb.Transport_EventsServer) error {
	n := 40000
	if v, err := strconv.Atoi(os.Getenv("NOACKS_EVENTS")); err == nil {
		n = v
	}
	for seq := 1; seq <= n; seq++ {
		ev := &pb.Event{Seq: uint64(seq), EventId: "e" + strconv.Itoa(seq), LoginId: "u", ChatId: "bob",
			TimestampUnixMicro: time.Now().UnixMicro(),
			Payload:            &pb.Event_Message{Message: &pb.MessageEvent{Text: "m" + strconv.Itoa(seq)}}}
		if err := stream.Send(ev); err != nil {
			return err
		}
		time.Sleep(50 * time.Microsecond)
	}
	<-stream.Context().Done()
	return nil
}

func (server) Commands(stream pb.Transport_CommandsServer) error {
	path := os.Getenv("NOACKS_COMMANDS")
	if path == "" {
		<-stream.Context().Done()
		return nil
	}
	for {
		cmd, err := stream.Recv()
		if err != nil {
			return err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		_, err = f.WriteString(cmd.TxnId + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
}
