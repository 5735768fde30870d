package bridge

import (
	"strings"

	"passerelle.im/passerelle/bridge/wire"
)

// XEP-0356: the privileges the server grants the component (roster
// access, sending as the user).

// perms are the XEP-0356 privileges the server granted the component.
type perms struct {
	roster  string // "", "get", "set", "both"
	message string // "", "outgoing"
}

func (p perms) rosterWrite() bool { return p.roster == "set" || p.roster == "both" }

func (p perms) rosterRead() bool { return p.roster == "get" || p.roster == "both" }

// serverDomain is the XMPP server the component is attached to: the
// component's parent domain. Only it may grant privileges.
func (t *transport) serverDomain() string {
	if i := strings.IndexByte(t.domain, '.'); i > 0 {
		return t.domain[i+1:]
	}
	return t.domain
}

// onPrivilege records the server's XEP-0356 advertisement.
func (t *transport) onPrivilege(priv *wire.Element) {
	var p perms
	var walk func(e *wire.Element)
	walk = func(e *wire.Element) {
		for i := range e.Children {
			c := &e.Children[i]
			if c.XMLName.Local == "perm" {
				switch c.Attr("access") {
				case "roster":
					p.roster = c.Attr("type")
				case "message":
					p.message = c.Attr("type")
				}
			}
			walk(c)
		}
	}
	walk(priv)
	t.mu.Lock()
	t.perms = p
	t.mu.Unlock()
	t.log.Info("privileges granted by the server", "roster", p.roster, "message", p.message)
}

func (t *transport) privileges() perms {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.perms
}
