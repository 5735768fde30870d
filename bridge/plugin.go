package bridge

import (
	"context"

	pb "passerelle.im/passerelle/plugins/proto"
)

// What every unit asks of the plugin: its contract client, and its name
// as users read it.

// client returns the plugin's contract client, waiting a little for a
// plugin that is starting or restarting: until it has connected every
// stored login again (onPluginReady, which itself goes through), so that
// a login flow, a logout or a query does not reach a plugin that has not
// loaded the login yet (it took a login again as a new account, and the
// stored one was logged out). Past the wait the answer is that the
// transport is starting.
func (t *transport) client(ctx context.Context) (pb.TransportClient, error) {
	wctx, cancel := context.WithTimeout(ctx, targetWait)
	defer cancel()
	return t.host.ReadyClient(wctx)
}

// eventClient is the plugin's client for work on an event the plugin
// sent (fetching its file): that login is loaded already, so it does not
// wait for the reload of the others, which may take longer than a file
// may wait.
func (t *transport) eventClient(ctx context.Context) (pb.TransportClient, error) {
	if c, err := t.host.Client(); err == nil {
		return c, nil
	}
	return t.client(ctx)
}

func (t *transport) displayName() string {
	if t.host == nil { // internal tests' transports run no plugin
		return t.name
	}
	if caps := t.host.Caps(); caps != nil && caps.DisplayName != "" {
		return caps.DisplayName
	}
	return t.name
}

func (t *transport) logFailure(what string) func(*pb.CommandResult) {
	return func(r *pb.CommandResult) {
		if r.Error != nil {
			t.log.Debug(what+" not bridged", "err", r.Error.Text)
		}
	}
}
