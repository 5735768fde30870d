// Command oldplugin is a plugin of another contract version, for the
// host's tests: it does the go-plugin handshake of a passerelle plugin
// (same magic cookie) at protocol version PASSERELLE_TEST_PLUGIN_VERSION
// (default 1, the contract before v2), serving nothing behind it. The host
// must refuse it at the handshake, by name, before any call.
//
// With PASSERELLE_TEST_INIT_VERSION set, or a binary name ending in
// "-init1" (the gateway passes a plugin few variables), it is a plugin
// that passes the v2 handshake and then declares api_version 1 in Init's
// answer.
package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "passerelle.im/passerelle/plugins/proto"
)

// stale serves no service (a v1 host would have found the v1 Transport
// here; a v2 host must not get as far as calling it), or only Init.
type stale struct{ plugin.NetRPCUnsupportedPlugin }

func (stale) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if v := initVersion(); v != "" {
		n, _ := strconv.Atoi(v)
		pb.RegisterTransportServer(s, initOnly{version: uint32(n)})
	}
	return nil
}

func initVersion() string {
	if strings.HasSuffix(filepath.Base(os.Args[0]), "-init1") {
		return "1"
	}
	return os.Getenv("PASSERELLE_TEST_INIT_VERSION")
}

// initOnly answers Init with another api_version.
type initOnly struct {
	pb.UnimplementedTransportServer
	version uint32
}

func (i initOnly) Init(context.Context, *pb.InitRequest) (*pb.Capabilities, error) {
	return &pb.Capabilities{ApiVersion: i.version, Network: "old"}, nil
}
func (stale) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, nil
}

func main() {
	v := 1
	if s := os.Getenv("PASSERELLE_TEST_PLUGIN_VERSION"); s != "" {
		v, _ = strconv.Atoi(s)
	}
	if initVersion() != "" {
		v = 2
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  uint(v),
			MagicCookieKey:   "PASSERELLE_PLUGIN",
			MagicCookieValue: "4f0c5c7e-passerelle-transport",
		},
		VersionedPlugins: map[int]plugin.PluginSet{v: {"transport": stale{}}},
		GRPCServer:       plugin.DefaultGRPCServer,
	})
}
