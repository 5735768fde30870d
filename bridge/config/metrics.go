package config

import (
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Metrics is the opt-in Prometheus and health endpoint.
type Metrics struct {
	// Listen is the host:port /metrics and /healthz are served on; ""
	// turns them off. They hold no secret but tell a lot about the
	// gateway: keep them on loopback or behind a proxy.
	Listen string
	// ListenLine is the line of the file that sets Listen, 0 when unset.
	ListenLine int
}

func (l loader) metrics(t *table) Metrics {
	var m Metrics
	if s, ok := t.str("listen"); ok && s != "" {
		_, port, err := net.SplitHostPort(s)
		n, perr := strconv.Atoi(port)
		switch {
		case err != nil:
			l.p.addf(t.key("listen"), "%q is not host:port (e.g. \"127.0.0.1:9464\"): %w", s, err)
		case perr != nil || n < 1 || n > 65535:
			l.p.addf(t.key("listen"), "%q: port must be a number from 1 to 65535", s)
		default:
			m.Listen, m.ListenLine = s, l.lines[t.key("listen")]
		}
	}
	t.done()
	return m
}

// summary is the metrics line of check-config.
func (m Metrics) summary() string {
	if m.Listen == "" {
		return "off"
	}
	host, port, _ := net.SplitHostPort(m.Listen)
	if everyAddress(host) {
		// ":9464" is no URL to curl, and other machines reach it.
		return "http://127.0.0.1:" + port + "/metrics and /healthz, on every interface: other machines reach them too (keep them on loopback, e.g. listen = \"127.0.0.1:" + port + "\", or firewall the port)"
	}
	return "http://" + m.Listen + "/metrics and /healthz"
}

// WarnMetricsExposed logs, at the start of run, a metrics endpoint on
// every interface: check-config says so, but a service restarted under
// systemd is seldom checked first, and other machines then read it.
func (c *Config) WarnMetricsExposed(log *slog.Logger) {
	host, port, err := net.SplitHostPort(c.Metrics.Listen)
	if c.Metrics.Listen == "" || err != nil || !everyAddress(host) {
		return
	}
	log.Warn("metrics endpoint on every interface: other machines can read /metrics and /healthz; keep it on loopback or firewall the port",
		"listen", c.Metrics.Listen, "loopback", "listen = \"127.0.0.1:"+port+"\"")
}

// everyAddress reports whether a listen host stands for every address.
func everyAddress(h string) bool {
	a, err := netip.ParseAddr(h)
	return h == "" || err == nil && a.Unmap().IsUnspecified()
}

// sameListener reports whether the listen addresses a and b (host:port,
// valid) would take the same port: same port, and the same address
// however written ("localhost" is the address Go listens on for it,
// 127.0.0.1 from /etc/hosts; "::ffff:127.0.0.1" is 127.0.0.1), or one
// of them every address ("", 0.0.0.0, ::, each of which Go takes on
// both families).
func sameListener(a, b string) bool {
	ha, pa, erra := net.SplitHostPort(a)
	hb, pb, errb := net.SplitHostPort(b)
	if erra != nil || errb != nil || pa != pb {
		return false
	}
	if everyAddress(ha) || everyAddress(hb) {
		return true
	}
	aa, oka := listenAddr(ha)
	ab, okb := listenAddr(hb)
	if !oka || !okb {
		// A name other than localhost: not resolved here (loading the
		// configuration makes no DNS query); the same name is the
		// same port.
		return strings.EqualFold(ha, hb)
	}
	return aa == ab
}

// listenAddr returns the address Go listens on for the listen host h:
// h itself when it is an address, the first IPv4 address of localhost
// (from /etc/hosts, never DNS), else ok is false.
func listenAddr(h string) (netip.Addr, bool) {
	if strings.EqualFold(strings.TrimSuffix(h, "."), "localhost") {
		ta, err := net.ResolveTCPAddr("tcp", net.JoinHostPort(h, "0"))
		if err != nil {
			return netip.Addr{}, false
		}
		h = ta.IP.String()
	}
	a, err := netip.ParseAddr(h)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}
