package sdk

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

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

// GRPCPlugin is the go-plugin glue: on the plugin side Serve sets it up;
// on the host side GRPCClient returns a pb.TransportClient.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	srv *server // set by Serve
}

// GRPCServer implements plugin.GRPCPlugin.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.srv == nil {
		return errors.New("sdk: a plugin serves with sdk.Serve")
	}
	pb.RegisterTransportServer(s, p.srv)
	return nil
}

// GRPCClient implements plugin.GRPCPlugin.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return pb.NewTransportClient(c), nil
}

// VersionedPlugins is the plugin set per contract version, for the host:
// every version up to APIVersion, so that a plugin of an older version
// completes the handshake and the host learns which version it speaks
// (plugin.Client.NegotiatedVersion) to refuse it by name, with a
// VersionError, rather than with go-plugin's generic mismatch.
func VersionedPlugins() map[int]plugin.PluginSet {
	m := map[int]plugin.PluginSet{}
	for v := 1; v <= APIVersion; v++ {
		m[v] = plugin.PluginSet{PluginName: &GRPCPlugin{}}
	}
	return m
}

// VersionError is a plugin of another contract version than the host's.
type VersionError struct {
	Plugin, Host int
}

func (e *VersionError) Error() string {
	fix := "rebuild it with the current SDK"
	if e.Plugin > e.Host {
		fix = "upgrade the gateway, or use a plugin built for contract v" + fmt.Sprint(e.Host)
	}
	return fmt.Sprintf("plugin speaks contract v%d, this gateway speaks v%d: %s", e.Plugin, e.Host, fix)
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

// serverOptions are the plugin end's gRPC settings.
func serverOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.MaxRecvMsgSize(MaxMessageBytes), grpc.MaxSendMsgSize(MaxMessageBytes),
		grpc.InitialWindowSize(streamWindow), grpc.InitialConnWindowSize(connWindow)}
}

// DialOptions are the gRPC settings of the host's end: the same message
// size limit and fixed windows as the plugin's. A host passes them to
// go-plugin's ClientConfig.GRPCDialOptions.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes)),
		grpc.WithInitialWindowSize(streamWindow), grpc.WithInitialConnWindowSize(connWindow),
	}
}

// Option changes how Serve runs a plugin.
type Option func(*serveConfig)

type serveConfig struct {
	trace func(stage Stage, text string)
	// timeout and fileTimeout bound a command (WithCommandTimeouts).
	timeout, fileTimeout time.Duration
}

// The default time limits of a command (see WithCommandTimeouts): a few
// minutes for most, and long enough for a large file on a slow uplink
// for one that carries a file.
const (
	DefaultCommandTimeout     = 3 * time.Minute
	DefaultFileCommandTimeout = 30 * time.Minute
)

// WithCommandTimeouts sets how long a command may take: plain for most
// commands, files for those that carry a file (a message with
// attachments, a chat's or the profile's picture). The command's context
// ends at its limit. A method that ignores its context and has not
// returned 2 s later is given up on: the gateway is answered UNAVAILABLE
// (the network did not answer in time; the message may or may not have
// been sent), the txn_id is not remembered, the chat's next command runs,
// and what the method returns at last is logged and dropped. Zero keeps
// the default (DefaultCommandTimeout, DefaultFileCommandTimeout). The
// gateway waits for a result a minute past those defaults, then fails
// the command itself: a limit longer than that is cut by the gateway.
func WithCommandTimeouts(plain, files time.Duration) Option {
	return func(c *serveConfig) {
		if plain > 0 {
			c.timeout = plain
		}
		if files > 0 {
			c.fileTimeout = files
		}
	}
}

// Stage is a point of the message path inside the plugin, for WithTrace.
type Stage string

// The stages WithTrace reports.
const (
	StageCommand Stage = "pl-cmd" // a command read from the host
	StageEvent   Stage = "pl-ev"  // an event handed to the host's stream
)

// WithTrace has fn called with the text of every send command as it is
// read and of every message event as it is sent: a hook for a load tool
// that times the path of its own messages. fn must be fast and safe for
// concurrent use. Off (nil) by default.
func WithTrace(fn func(stage Stage, text string)) Option {
	return func(c *serveConfig) { c.trace = fn }
}

// Serve runs c as a plugin process; it returns when the host is done.
// Call it from main. Run by hand, the binary says what it is and exits.
// The process exits within a second of the gateway's death, however the
// gateway died (see watchParent), and holds a lock on its data folder
// from Init on.
//
// S is the plugin's session type: a concrete type, whose methods say
// which optional features the plugin has (see Features).
func Serve[S Session](c Connector[S], opts ...Option) {
	var stop func(context.Context) error
	if st, ok := any(c).(Stopper); ok {
		stop = st.Stop
	}
	serve(newConnectorTransport(c), stop, opts...)
}

// serve runs t until the host is done with the process, then stop (nil
// for none) and the journal's close.
func serve(t transport, stop func(context.Context) error, opts ...Option) {
	if code, ok := byHand(os.Args, os.Getenv, os.Stdout, os.Stderr); ok {
		os.Exit(code)
	}
	srv := newServer(t, opts...)
	watchParent(parentPoll, func() {
		// The log goes to the dead gateway's pipe: a write there can
		// end the process (SIGPIPE), so the journal is closed first.
		srv.shutdown()
		srv.log.Error("the gateway that started this plugin is gone; exiting")
		os.Exit(1)
	})
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{APIVersion: {PluginName: &GRPCPlugin{srv: srv}}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return plugin.DefaultGRPCServer(append(opts, serverOptions()...))
		},
		Logger: hclog.New(&hclog.LoggerOptions{Output: os.Stderr, Level: hclog.Warn, JSONFormat: true}),
	})
	// The host asked the process to exit (go-plugin's Shutdown).
	srv.stopServing(stop)
}
