package sdk

import (
	"context"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

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

// Serve runs t as a plugin process; it returns when the host is done.
// Call it from main. Run by hand, the binary says what it is and exits.
// It applies ShareCPUs first.
func Serve(t Transport) {
	ShareCPUs()
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{APIVersion: {PluginName: &GRPCPlugin{Impl: t}}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts, grpc.MaxRecvMsgSize(MaxMessageBytes), grpc.MaxSendMsgSize(MaxMessageBytes))
			return plugin.DefaultGRPCServer(opts)
		},
		Logger: hclog.New(&hclog.LoggerOptions{Output: os.Stderr, Level: hclog.Warn, JSONFormat: true}),
	})
}
