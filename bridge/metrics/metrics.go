// Package metrics exposes the gateway's Prometheus metrics and its health
// endpoint. The bridge counts through the nil-safe methods of Transport,
// so that it never handles Prometheus types and a gateway without a
// metrics listener pays a nil check per event.
package metrics

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Directions of the messages counter.
const (
	// ToNetwork is a message from an XMPP user that the plugin sent on to
	// its network.
	ToNetwork = "to_network"
	// ToXMPP is a network message written to the XMPP server.
	ToXMPP = "to_xmpp"
)

// Probe reads a transport's state when /metrics or /healthz is asked for;
// a nil func reads as down (or, for Logins, as none).
type Probe struct {
	// LinkUp reports whether the component link to the XMPP server is up.
	LinkUp func() bool
	// PluginUp reports whether the plugin process runs and answered Init.
	PluginUp func() bool
	// Logins counts the transport's logins by state ("connected", ...).
	Logins func() map[string]int
	// Rejected counts the plugin's events the store refused as invalid
	// since the start (each logged; the rest of their batch was kept).
	Rejected func() uint64
}

// Registry holds the metrics of every transport, in a Prometheus registry
// of its own (not the global default one).
type Registry struct {
	reg *prometheus.Registry

	restarts *prometheus.CounterVec
	messages *prometheus.CounterVec
	errors   *prometheus.CounterVec
	commit   *prometheus.HistogramVec
	lag      *prometheus.HistogramVec
	outbox   *prometheus.GaugeVec
	history  *prometheus.CounterVec
	fixed    *prometheus.CounterVec

	mu     sync.Mutex
	probes map[string]Probe // transport name -> probe
}

// New returns a registry with the Go runtime and process collectors.
func New() *Registry {
	r := &Registry{
		reg: prometheus.NewRegistry(),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "passerelle_plugin_restarts_total",
			Help: "Times the transport's plugin stopped and was started again.",
		}, []string{"transport"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "passerelle_messages_total",
			Help: "Messages bridged: to_network (from XMPP users, accepted by the plugin), to_xmpp (from the network, written to the XMPP server).",
		}, []string{"transport", "direction"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "passerelle_errors_total",
			Help: "Error stanzas the gateway sent, by XMPP error condition.",
		}, []string{"transport", "condition"}),
		commit: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "passerelle_store_commit_seconds",
			Help:    "Time to encode and commit a batch of plugin events to the store (one fsync).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14), // 0.5 ms to 4 s
		}, []string{"transport"}),
		lag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "passerelle_delivery_lag_seconds",
			Help:    "From a network event's timestamp to its stanza written to the XMPP server.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 12), // 1 ms to about 70 min
		}, []string{"transport"}),
		outbox: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "passerelle_outbox_depth",
			Help: "Network events waiting to be written to the XMPP server.",
		}, []string{"transport"}),
		history: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "passerelle_history_messages_total",
			Help: "Past messages backfill stored (duplicates of stored ones left out); each is then delivered as a delayed message.",
		}, []string{"transport"}),
		fixed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "passerelle_network_input_fixed_total",
			Help: "Network input changed so that the XMPP server takes it: text_cut (a text, name or list cut to its limit), avatar_dropped (an avatar too large for a stanza left out), stanza_too_large (a stanza over the server's limit, not written; a message's recipient is told), invalid_utf8 (a message from the plugin whose strings were not UTF-8, taken with U+FFFD in their place).",
		}, []string{"transport", "what"}),
		probes: map[string]Probe{},
	}
	r.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		r.restarts, r.messages, r.errors, r.commit, r.lag, r.outbox, r.history, r.fixed,
		stateCollector{r},
	)
	return r
}

// CountBadNicks exposes count, read at each scrape, as
// passerelle_bad_nicks_total: the occupant nicks replaced by a fallback
// because the XMPP server would refuse or rewrite them (muc.OccupantJID).
// It has no transport label: the count is the process's, over every
// transport's rooms. Call it once; a nil Registry ignores it.
func (r *Registry) CountBadNicks(count func() uint64) {
	if r == nil {
		return
	}
	r.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "passerelle_bad_nicks_total",
		Help: "Occupant nicks the XMPP server would refuse or rewrite (empty, a prohibited character, not normalized), each replaced by a fallback nick; for all transports. A rise means a plugin or the store hands the rooms bad nicks.",
	}, func() float64 { return float64(count()) }))
}

// Transport registers a transport and returns what the bridge counts
// with. Its series exist from now on, at zero, so that a rate or an alert
// works before the first event. On a nil Registry (metrics off) it
// returns nil, which counts nothing.
func (r *Registry) Transport(name string, p Probe) *Transport {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	r.probes[name] = p
	r.mu.Unlock()
	t := &Transport{
		r:        r,
		name:     name,
		restarts: r.restarts.WithLabelValues(name),
		toNet:    r.messages.WithLabelValues(name, ToNetwork),
		toXMPP:   r.messages.WithLabelValues(name, ToXMPP),
		commit:   r.commit.WithLabelValues(name),
		lag:      r.lag.WithLabelValues(name),
		outbox:   r.outbox.WithLabelValues(name),
		history:  r.history.WithLabelValues(name),
	}
	return t
}

// health is each transport's state, by name.
func (r *Registry) health() map[string]Health {
	r.mu.Lock()
	probes := maps.Clone(r.probes)
	r.mu.Unlock()
	h := make(map[string]Health, len(probes))
	for name, p := range probes {
		h[name] = Health{Link: call(p.LinkUp), Plugin: call(p.PluginUp)}
	}
	return h
}

func call(f func() bool) bool { return f != nil && f() }

// Transport counts for one transport. A nil *Transport counts nothing.
type Transport struct {
	r        *Registry
	name     string
	restarts prometheus.Counter
	toNet    prometheus.Counter
	toXMPP   prometheus.Counter
	commit   prometheus.Observer
	lag      prometheus.Observer
	outbox   prometheus.Gauge
	history  prometheus.Counter
}

// PluginRestart counts a stop of the plugin that the host restarts.
func (t *Transport) PluginRestart() {
	if t == nil {
		return
	}
	t.restarts.Inc()
}

// MessageToNetwork counts a user's message the plugin accepted.
func (t *Transport) MessageToNetwork() {
	if t == nil {
		return
	}
	t.toNet.Inc()
}

// ErrorSent counts an error stanza of this condition, if data is one
// (see Condition); anything else is ignored.
func (t *Transport) ErrorSent(data []byte) {
	if t == nil {
		return
	}
	if c := Condition(data); c != "" {
		t.r.errors.WithLabelValues(t.name, c).Inc()
	}
}

// CommitDone records a store commit of n events that began then; a
// batch with nothing to store (n is 0) is not a commit.
func (t *Transport) CommitDone(began time.Time, n int) {
	if t == nil || n == 0 {
		return
	}
	t.commit.Observe(time.Since(began).Seconds())
}

// HistoryStored counts n past messages backfill stored.
func (t *Transport) HistoryStored(n int) {
	if t == nil {
		return
	}
	t.history.Add(float64(n))
}

// Queued counts n events handed to delivery; a negative n takes back
// what this process will not deliver after all (the next start will).
func (t *Transport) Queued(n int) {
	if t == nil {
		return
	}
	t.outbox.Add(float64(n))
}

// Delivered counts an event handed to delivery as done: written to the
// XMPP server, or with nothing to write (written false). message says
// whether it was a message; stamp is the event's network time in Unix
// microseconds (0: unknown, no lag recorded).
func (t *Transport) Delivered(message, written bool, stamp int64) {
	if t == nil {
		return
	}
	t.outbox.Dec()
	if !written {
		return
	}
	if message {
		t.toXMPP.Inc()
	}
	if stamp > 0 {
		t.lag.Observe(max(0, time.Since(time.UnixMicro(stamp)).Seconds()))
	}
}

// InputFixed counts network input changed so that the XMPP server takes
// it (see the passerelle_network_input_fixed_total help).
func (t *Transport) InputFixed(what string) {
	if t == nil {
		return
	}
	t.r.fixed.WithLabelValues(t.name, what).Inc()
}

// stateCollector reads the probes at scrape time: link and plugin state
// and logins by state are read where they live, never copied.
type stateCollector struct{ r *Registry }

var (
	linkUpDesc   = prometheus.NewDesc("passerelle_link_up", "1 when the component link to the XMPP server is up.", []string{"transport"}, nil)
	pluginUpDesc = prometheus.NewDesc("passerelle_plugin_up", "1 when the transport's plugin runs and answered Init.", []string{"transport"}, nil)
	loginsDesc   = prometheus.NewDesc("passerelle_logins", "Logins by the state their plugin last reported.", []string{"transport", "state"}, nil)
	rejectedDesc = prometheus.NewDesc("passerelle_events_rejected_total",
		"Events of the plugin the store refused as invalid (a NUL byte, an over-long ID), each logged; the rest of their batch is kept.", []string{"transport"}, nil)
)

func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- linkUpDesc
	ch <- pluginUpDesc
	ch <- loginsDesc
	ch <- rejectedDesc
}

func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	c.r.mu.Lock()
	probes := maps.Clone(c.r.probes)
	c.r.mu.Unlock()
	for name, p := range probes {
		ch <- prometheus.MustNewConstMetric(linkUpDesc, prometheus.GaugeValue, b2f(call(p.LinkUp)), name)
		ch <- prometheus.MustNewConstMetric(pluginUpDesc, prometheus.GaugeValue, b2f(call(p.PluginUp)), name)
		if p.Rejected != nil {
			ch <- prometheus.MustNewConstMetric(rejectedDesc, prometheus.CounterValue, float64(p.Rejected()), name)
		}
		if p.Logins == nil {
			continue
		}
		counts := p.Logins()
		for _, state := range slices.Sorted(maps.Keys(counts)) {
			ch <- prometheus.MustNewConstMetric(loginsDesc, prometheus.GaugeValue, float64(counts[state]), name, state)
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
