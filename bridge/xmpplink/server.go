package xmpplink

import (
	"strings"
)

// The XMPP server's own domain (example.org) is where the component's
// questions for the server go (its upload service, the ping that awaits
// its XEP-0356 grants, a message sent as a user) and an address that may
// answer any of the component's IQs. It is not always the component's
// parent: wa.im.example.org may be a component of the server of
// example.org. The admin may say it (xmpp.server_domain); else the
// server shows it, by sending its XEP-0356 advertisement from it
// (SetServerDomain); until then it is guessed.

// ServerDomain is the server's domain: the configured one, else the one
// learned (SetServerDomain), else the component's domain less its first
// label.
func (l *Link) ServerDomain() string {
	if d := l.knownServerDomain(); d != "" {
		return d
	}
	if i := strings.IndexByte(l.cfg.Domain, '.'); i > 0 {
		return l.cfg.Domain[i+1:]
	}
	return l.cfg.Domain
}

// KnownServerDomain is the server's domain when configured or learned,
// and whether it is: false while ServerDomain is only a guess.
func (l *Link) KnownServerDomain() (string, bool) {
	d := l.knownServerDomain()
	return d, d != ""
}

// knownServerDomain is the server's domain when configured or learned,
// "" while ServerDomain is only a guess.
func (l *Link) knownServerDomain() string {
	if l.cfg.ServerDomain != "" {
		return l.cfg.ServerDomain
	}
	if d := l.learned.Load(); d != nil {
		return *d
	}
	return ""
}

// SetServerDomain records d, the domain the server spoke from as the
// server (its XEP-0356 advertisement), unless the configuration set one.
// It reports whether d is now the server's domain: false when the
// configured one differs.
func (l *Link) SetServerDomain(d string) bool {
	if l.cfg.ServerDomain != "" {
		return d == l.cfg.ServerDomain
	}
	l.learned.Store(&d)
	return true
}
