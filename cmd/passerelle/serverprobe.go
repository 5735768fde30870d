package main

import (
	"context"
	"fmt"
	"io"

	"passerelle.im/passerelle/bridge/config"
	"passerelle.im/passerelle/bridge/xmpplink"
)

// wrongPortProblem says what xmpp.server reached when it is a port of
// the server other than its component port (a client or
// server-to-server port), "" otherwise: what answered in no XMPP may be
// a server still starting behind a proxy, a warning only.
func wrongPortProblem(a xmpplink.Answer) string {
	if a.Kind == xmpplink.PortClient || a.Kind == xmpplink.PortServer {
		return a.Problem()
	}
	return ""
}

// checkServer is check-config's probe of xmpp.server (xmpplink.Probe,
// which reads the server's answer as a failed handshake of the link
// does): a client or server-to-server port is an error (on stderr,
// false), no answer a warning (the server may start later; the gateway
// keeps trying).
func checkServer(cfg *config.Config, stdout, stderr io.Writer) bool {
	a, err := xmpplink.Probe(context.Background(), cfg.XMPP.Server, probeDomain(cfg))
	switch {
	case err != nil:
		fmt.Fprintf(stdout, "warning:   xmpp.server %s did not answer as an XMPP server (%v): is the server running, and is this its component port? The gateway keeps trying\n", cfg.XMPP.Server, err)
	case a.Kind == xmpplink.PortComponent:
		fmt.Fprintf(stdout, "server %s: answered as a component port\n", cfg.XMPP.Server)
	case wrongPortProblem(a) != "":
		fmt.Fprintln(stderr, serverError(cfg, a))
		return false
	case a.Found != "":
		fmt.Fprintf(stdout, "warning:   xmpp.server %s did not answer as an XMPP server (%s): is this the server's component port? The gateway keeps trying\n", cfg.XMPP.Server, a.Found)
	default:
		fmt.Fprintf(stdout, "warning:   xmpp.server %s answered as an XMPP server, but not as a component port\n", cfg.XMPP.Server)
	}
	return true
}

// serverError is the configuration problem of xmpp.server reaching a
// port of the server other than its component port.
func serverError(cfg *config.Config, a xmpplink.Answer) error {
	return &config.Error{File: cfg.Path, Line: cfg.XMPP.ServerLine, Key: "xmpp.server",
		Err: fmt.Errorf("%q: %s", cfg.XMPP.Server, wrongPortProblem(a))}
}

// probeDomain is the component domain the probe's stream is to: the
// first enabled transport's.
func probeDomain(cfg *config.Config) string {
	for _, t := range cfg.Transports {
		if t.Enabled {
			return t.Domain
		}
	}
	return ""
}
