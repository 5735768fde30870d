package bridge

import (
	"context"

	pb "passerelle.im/passerelle/plugins/proto"
)

// What every unit asks of the plugin: its contract client, and its name
// as users read it.

// client returns the plugin's contract client, waiting a little for a
// plugin that is starting or restarting.
func (t *transport) client(ctx context.Context) (pb.TransportClient, error) {
	if c, err := t.host.Client(); err == nil {
		return c, nil
	}
	wctx, cancel := context.WithTimeout(ctx, targetWait)
	defer cancel()
	t.host.WaitReady(wctx)
	return t.host.Client()
}

func (t *transport) displayName() string {
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
