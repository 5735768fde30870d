package sdk

import (
	"context"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"passerelle.im/passerelle/internal/rawio"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Handshake is shared by the host and every plugin; a binary that is not a
// passerelle plugin refuses to run as one, and a plugin of another contract
// version is refused by the host.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  APIVersion,
	MagicCookieKey:   "PASSERELLE_PLUGIN",
	MagicCookieValue: "4f0c5c7e-passerelle-transport",
}

// PluginName is the name of the one plugin each binary serves.
const PluginName = "transport"

// MaxMessageBytes bounds one gRPC message each way (inline attachments).
const MaxMessageBytes = 64 << 20

// GRPCPlugin is the go-plugin glue: Impl on the plugin side; on the host
// side GRPCClient returns a pb.TransportClient.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl Transport
}

// GRPCServer implements plugin.GRPCPlugin.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterTransportServer(s, newServer(p.Impl))
	return nil
}

// GRPCClient implements plugin.GRPCPlugin.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return pb.NewTransportClient(c), nil
}

// VersionedPlugins is the plugin set per contract version, for the host.
func VersionedPlugins() map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{APIVersion: {PluginName: &GRPCPlugin{}}}
}

// Fixed HTTP/2 flow-control windows, on both ends. gRPC's default is a
// window sized by BDP estimation, which pings the peer on every burst of
// data: on the events stream that was a PING, its ACK and a WINDOW_UPDATE
// per message each way, three writes and two wake-ups where one would do.
// A fixed window turns the estimation off; at 4 MiB per stream an update
// goes out every megabyte or so, and a window is a limit, not a buffer.
const (
	streamWindow = 4 << 20
	connWindow   = 16 << 20
)

// serverOptions are the plugin end's gRPC settings, dialOptions the host's.
// Both ends read and write the connection through internal/rawio (with
// gRPC's insecure credentials, as go-plugin uses without TLS).
func serverOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.MaxRecvMsgSize(MaxMessageBytes), grpc.MaxSendMsgSize(MaxMessageBytes),
		grpc.InitialWindowSize(streamWindow), grpc.InitialConnWindowSize(connWindow), grpc.Creds(rawio.Insecure())}
}

func dialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes)),
		grpc.WithInitialWindowSize(streamWindow), grpc.WithInitialConnWindowSize(connWindow),
		grpc.WithTransportCredentials(rawio.Insecure()),
	}
}

// Serve runs t as a plugin process; it returns when the host is done.
// Call it from main. Run by hand, the binary says what it is and exits.
// It applies ShareCPUs, YieldToServer and PaceGC first.
func Serve(t Transport) {
	ShareCPUs()
	_, _ = YieldToServer() // best effort: a plugin runs the same without it
	PaceGC(context.Background())
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{APIVersion: {PluginName: &GRPCPlugin{Impl: t}}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return plugin.DefaultGRPCServer(append(opts, serverOptions()...))
		},
		Logger: hclog.New(&hclog.LoggerOptions{Output: os.Stderr, Level: hclog.Warn, JSONFormat: true}),
	})
}
