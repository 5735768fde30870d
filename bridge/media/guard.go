package media

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrBlocked: a fetch was to connect to an address it must not reach
// (loopback, a private network, link-local, ...): the user's URL, a
// redirect, or a name resolving there. errors.Is(err, ErrBlocked).
var ErrBlocked = errors.New("address not allowed")

// blocked lists the ranges a fetch never connects to unless allowed:
// what is not the public internet, where a URL the user sends could reach
// the gateway's own services or its network's (server-side request
// forgery).
var blocked = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this network"
		"10.0.0.0/8",      // RFC 1918
		"100.64.0.0/10",   // CGNAT (RFC 6598)
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link-local, cloud metadata (169.254.169.254)
		"172.16.0.0/12",   // RFC 1918
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation
		"192.168.0.0/16",  // RFC 1918
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation
		"203.0.113.0/24",  // documentation
		"224.0.0.0/4",     // multicast
		"240.0.0.0/4",     // reserved, broadcast
		"::/128",          // unspecified
		"::1/128",         // loopback
		"64:ff9b:1::/48",  // local-use NAT64 (RFC 8215)
		"100::/64",        // discard
		"2001:db8::/32",   // documentation
		"fc00::/7",        // unique local, metadata (fd00:ec2::254)
		"fe80::/10",       // link-local
		"fec0::/10",       // site-local (deprecated)
		"ff00::/8",        // multicast
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

// nat64 is the well-known NAT64 prefix: its addresses stand for IPv4 ones.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Guard decides which addresses a fetch may connect to. It checks the
// address a connection is actually made to, after name resolution, on
// every connection (redirects included), so neither a name resolving to
// a private address nor a redirect gets past it.
type Guard struct {
	// Allow lists ranges opened by the admin ([media] fetch_allow), e.g.
	// a file server on the local network.
	Allow []netip.Prefix
	// Trusted, when set, reports whether u is a file of the XMPP
	// server's own upload service, which may be on a private address.
	// It is asked of each request (redirects too), before a connection
	// is taken: the trusted ones have connections of their own, so an
	// untrusted URL of the same host:port (the server's other pages)
	// never reuses one.
	Trusted func(ctx context.Context, u *url.URL) bool
}

// Allowed reports whether a fetch may connect to a.
func (g *Guard) Allowed(a netip.Addr) bool {
	// Without its zone: Prefix.Contains is false for a zoned address, so
	// ::1%lo or fe80::1%eth0 would match no blocked range.
	a = a.Unmap().WithZone("")
	for _, p := range g.Allow {
		if p.Contains(a) {
			return true
		}
	}
	if !a.IsValid() {
		return false
	}
	if nat64.Contains(a) {
		// The IPv4 address a NAT64 gateway would reach.
		b := a.As16()
		return g.Allowed(netip.AddrFrom4([4]byte(b[12:])))
	}
	for _, p := range blocked {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// Client returns an HTTP client whose connections g guards. It uses no
// proxy: through a proxy, the address checked would be the proxy's.
func (g *Guard) Client() *http.Client {
	guarded := newTransport()
	guarded.Proxy = nil
	guarded.DialContext = g.dial
	if g.Trusted == nil {
		return &http.Client{Transport: guarded}
	}
	trusted := newTransport()
	trusted.Proxy = nil
	trusted.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return &http.Client{Transport: &trustSplit{trusted: g.Trusted, yes: trusted, no: guarded}}
}

// trustSplit sends the requests trusted says yes to through yes, the
// others through no (the guarded transport).
type trustSplit struct {
	trusted func(context.Context, *url.URL) bool
	yes, no *http.Transport
}

func (t *trustSplit) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.trusted(req.Context(), req.URL) {
		return t.yes.RoundTrip(req)
	}
	return t.no.RoundTrip(req)
}

// CloseIdleConnections closes both transports' idle connections.
func (t *trustSplit) CloseIdleConnections() {
	t.yes.CloseIdleConnections()
	t.no.CloseIdleConnections()
}

func (g *Guard) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: g.control}
	return d.DialContext(ctx, network, addr)
}

// control runs on every connection attempt, with the resolved address.
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrBlocked, address)
	}
	if !g.Allowed(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrBlocked, ap.Addr())
	}
	return nil
}

// HostPort returns the host:port a URL connects to, the port made
// explicit, the host lowercased.
func HostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}
