package plugintest

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/protobuf/types/known/emptypb"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Process is a plugin process the kit started, over go-plugin with the
// contract's handshake and gRPC settings, as the gateway starts one.
type Process struct {
	// Transport is the gRPC client of the contract.
	Transport pb.TransportClient
	client    *plugin.Client
	cmd       *exec.Cmd
	pid       int
}

// launch starts binary with args, and env added to the test's
// environment. (The gateway hands a plugin only a few of its variables; a
// test's own, such as GORACE or GOCOVERDIR, are kept here.)
func launch(binary string, args, env []string, stderr io.Writer) (*Process, error) {
	cmd := exec.Command(binary, args...)
	cmd.Env = append(cmd.Environ(), env...)
	c := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		VersionedPlugins: sdk.VersionedPlugins(),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Stderr:           stderr,
		Logger:           hclog.NewNullLogger(),
		GRPCDialOptions:  sdk.DialOptions(),
	})
	rpc, err := c.Client()
	if err != nil {
		c.Kill()
		return nil, fmt.Errorf("start plugin %s: %w", binary, err)
	}
	if v := c.NegotiatedVersion(); v != sdk.APIVersion {
		c.Kill()
		return nil, fmt.Errorf("%s: %w", binary, &sdk.VersionError{Plugin: v, Host: sdk.APIVersion})
	}
	raw, err := rpc.Dispense(sdk.PluginName)
	if err != nil {
		c.Kill()
		return nil, fmt.Errorf("plugin %s: %w", binary, err)
	}
	tc, ok := raw.(pb.TransportClient)
	if !ok {
		c.Kill()
		return nil, fmt.Errorf("plugin %s: unexpected client type %T", binary, raw)
	}
	p := &Process{Transport: tc, client: c, cmd: cmd}
	if rc := c.ReattachConfig(); rc != nil {
		p.pid = rc.Pid
	}
	return p, nil
}

// Pid is the plugin's process ID.
func (p *Process) Pid() int { return p.pid }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool { return p.client.Exited() }

// Kill stops the process (gracefully first, then by force).
func (p *Process) Kill() { p.client.Kill() }

// Shutdown asks the plugin to exit, with go-plugin's GRPCController
// Shutdown call, and returns its answer; unlike Kill (what the gateway
// does), it keeps the connection open, so that calls and streams under
// way go on while the plugin stops.
func (p *Process) Shutdown(ctx context.Context) error {
	rpc, err := p.client.Client()
	if err != nil {
		return fmt.Errorf("plugin connection: %w", err)
	}
	gc, ok := rpc.(*plugin.GRPCClient)
	if !ok {
		return fmt.Errorf("plugin connection: unexpected client type %T", rpc)
	}
	// go-plugin's plugin.Empty is an empty message, as Empty is.
	if err := gc.Conn.Invoke(ctx, "/plugin.GRPCController/Shutdown", &emptypb.Empty{}, &emptypb.Empty{}); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// ExitCode is the process's exit status once it has exited: -1 if a
// signal ended it (go-plugin kills a plugin that did not exit within 2 s
// of its Shutdown), or if it still runs.
func (p *Process) ExitCode() int {
	if !p.client.Exited() {
		return -1
	}
	// go-plugin's runner waited for cmd before it marked the client
	// exited: ProcessState is set.
	return p.cmd.ProcessState.ExitCode()
}

// lockedBuffer collects a process's output while it is written.
type lockedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}
