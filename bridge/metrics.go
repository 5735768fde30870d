package bridge

import (
	"context"
	"log/slog"
	"strings"
	"sync"

	"passerelle.im/passerelle/bridge/metrics"
	"passerelle.im/passerelle/bridge/muc"
	pb "passerelle.im/passerelle/plugins/proto"
)

// serveMetrics starts /metrics and /healthz when listen is set; it
// returns nil (every count is then a no-op) when it is not.
func serveMetrics(ctx context.Context, listen string, wg *sync.WaitGroup, log *slog.Logger) (*metrics.Registry, error) {
	if listen == "" {
		return nil, nil
	}
	ln, err := metrics.Listen(listen)
	if err != nil {
		return nil, err
	}
	reg := metrics.New()
	reg.CountBadNicks(muc.BadNicks)
	wg.Go(func() {
		if err := reg.Serve(ctx, ln); err != nil {
			log.Error("metrics endpoint stopped", "err", err)
		}
	})
	log.Info("metrics listening", "listen", ln.Addr().String())
	return reg, nil
}

// probe is what the metrics read of the transport when scraped.
func (t *transport) probe() metrics.Probe {
	return metrics.Probe{
		LinkUp: t.link.Up,
		PluginUp: func() bool {
			_, err := t.host.Client()
			return err == nil
		},
		Logins: t.loginCounts,
		Rejected: func() uint64 {
			return t.db.RejectedEvents(t.name)
		},
	}
}

// loginCounts counts the logins by the state their plugin last reported
// ("unknown" before it said anything); every state is listed, at 0 when
// no login is in it.
func (t *transport) loginCounts() map[string]int {
	counts := make(map[string]int, len(pb.LoginState_name))
	for _, name := range pb.LoginState_name {
		counts[stateLabel(name)] = 0
	}
	for _, s := range t.allSessions() {
		counts[stateLabel(s.loginState().state.String())]++
	}
	return counts
}

// stateLabel turns LOGIN_STATE_BAD_CREDENTIALS into bad_credentials.
func stateLabel(enum string) string {
	return strings.ToLower(strings.TrimPrefix(enum, "LOGIN_STATE_"))
}

// pluginStopped is the plugin host's OnStop: the host restarts it next;
// the users hear of it if it stays down (plugindown.go).
func (t *transport) pluginStopped(err error) {
	t.metrics.PluginRestart()
	t.down.stopped(err, t.showPluginDown, &t.bg)
}
