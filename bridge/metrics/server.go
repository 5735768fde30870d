package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Health is one transport's state on /healthz.
type Health struct {
	// Link is true while the component link to the XMPP server is up.
	Link bool `json:"link"`
	// Plugin is true while the plugin process runs and answered Init.
	Plugin bool `json:"plugin"`
}

// healthReport is the body of /healthz.
type healthReport struct {
	// Status is "ok" when every transport's link and plugin are up, else
	// "degraded".
	Status     string            `json:"status"`
	Transports map[string]Health `json:"transports"`
}

// Handler serves /metrics (Prometheus text format) and /healthz (JSON;
// 200 when every transport's link and plugin are up, 503 otherwise).
func (r *Registry) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{Registry: r.reg}))
	mux.HandleFunc("GET /healthz", r.serveHealth)
	return mux
}

func (r *Registry) serveHealth(w http.ResponseWriter, _ *http.Request) {
	rep := healthReport{Status: "ok", Transports: r.health()}
	for _, h := range rep.Transports {
		if !h.Link || !h.Plugin {
			rep.Status = "degraded"
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if rep.Status != "ok" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(rep)
}

// Listen opens the metrics address, so that a bad one fails the start
// instead of a background goroutine. The error names the key and, for
// the usual causes, the fix.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics.listen %s: %w%s", addr, err, ListenHint(err, "[metrics] listen"))
	}
	return ln, nil
}

// ListenHint says what to do about a listen address of key (as the
// configuration file writes it) that could not be opened: "" for a
// cause it has no advice for, else text to append to the error.
func ListenHint(err error, key string) string {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return ": another program listens there (a passerelle still running, or another service): stop it, or set " + key + " to a free port"
	case errors.Is(err, syscall.EACCES):
		return ": a port below 1024 needs privileges the gateway's user has not: set " + key + " to a port above 1023"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return ": no interface of this machine has that address: set " + key + " to one of its addresses (127.0.0.1 for this machine only)"
	}
	return ""
}

// Serve serves Handler on ln until ctx ends.
func (r *Registry) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: r.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics server: %w", err)
	}
	return nil
}
