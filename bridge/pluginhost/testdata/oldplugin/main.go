// Command oldplugin is a plugin of another contract version, for the
// host's tests: it does the go-plugin handshake of a passerelle plugin
// (same magic cookie) at protocol version PASSERELLE_TEST_PLUGIN_VERSION
// (default 1, the contract before v2), serving nothing behind it. The host
// must refuse it at the handshake, by name, before any call.
package main

import (
	"context"
	"os"
	"strconv"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// stale serves no service: a v1 host would have found the v1 Transport
// here; a v2 host must not get as far as calling it.
type stale struct{ plugin.NetRPCUnsupportedPlugin }

func (stale) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error { return nil }
func (stale) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, nil
}

func main() {
	v := 1
	if s := os.Getenv("PASSERELLE_TEST_PLUGIN_VERSION"); s != "" {
		v, _ = strconv.Atoi(s)
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
