package pluginhost

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// launchConfig says how to start a plugin process.
type launchConfig struct {
	// Path is the plugin binary.
	Path string
	// Args are extra arguments for it.
	Args []string
	// Env is added to the plugin's environment, which holds only a few of
	// the gateway's variables (see pluginEnv).
	Env []string
	// Stderr receives the plugin's stderr, line by line (its log).
	Stderr io.Writer
	// Logger receives go-plugin's own messages; nil discards them.
	Logger hclog.Logger
}

// process is a running plugin process, as seen from the host.
type process struct {
	// Transport is the gRPC client of the contract.
	Transport pb.TransportClient
	client    *plugin.Client
	rpc       plugin.ClientProtocol
}

// launch starts a plugin binary and connects to it over gRPC with the
// versioned handshake. A binary that is not a passerelle plugin, or one of
// another contract version, fails here with a clear error.
func launch(cfg launchConfig) (*process, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	cmd := exec.Command(cfg.Path, cfg.Args...)
	cmd.Env = pluginEnv(os.Environ(), cfg.Env)
	c := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		VersionedPlugins: sdk.VersionedPlugins(),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Stderr:           cfg.Stderr,
		Logger:           logger,
		GRPCDialOptions:  sdk.DialOptions(),
		// go-plugin would add the whole environment to cmd.Env.
		SkipHostEnv: true,
	})
	rpc, err := c.Client()
	if err != nil {
		c.Kill()
		if v, ok := otherVersion(err); ok {
			return nil, fmt.Errorf("%s: %w", cfg.Path, &sdk.VersionError{Plugin: v, Host: sdk.APIVersion})
		}
		return nil, fmt.Errorf("start plugin %s: %w", cfg.Path, err)
	}
	// sdk.VersionedPlugins lists the older versions too, so an old
	// plugin gets this far and is refused here, by name.
	if v := c.NegotiatedVersion(); v != sdk.APIVersion {
		c.Kill()
		return nil, fmt.Errorf("%s: %w", cfg.Path, &sdk.VersionError{Plugin: v, Host: sdk.APIVersion})
	}
	raw, err := rpc.Dispense(sdk.PluginName)
	if err != nil {
		c.Kill()
		return nil, fmt.Errorf("plugin %s: %w", cfg.Path, err)
	}
	tc, ok := raw.(pb.TransportClient)
	if !ok {
		c.Kill()
		return nil, fmt.Errorf("plugin %s: unexpected client type %T", cfg.Path, raw)
	}
	return &process{Transport: tc, client: c, rpc: rpc}, nil
}

// versionMismatch is go-plugin's error for a plugin whose protocol
// version the host does not list (a newer one).
var versionMismatch = regexp.MustCompile(`(?i)incompatible API version with plugin\. Plugin version: (\d+)`)

// otherVersion is the version a plugin said it speaks, when err is
// go-plugin's refusal of it.
func otherVersion(err error) (int, bool) {
	m := versionMismatch.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, false
	}
	v, err := strconv.Atoi(m[1])
	return v, err == nil
}

// Ping checks that the plugin still answers.
func (p *process) Ping(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- p.rpc.Ping() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Exited reports whether the process has ended.
func (p *process) Exited() bool { return p.client.Exited() }

// Kill stops the process (gracefully first, then by force).
func (p *process) Kill() { p.client.Kill() }

// Pid is the plugin's process ID, or 0.
func (p *process) Pid() int {
	if rc := p.client.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}
