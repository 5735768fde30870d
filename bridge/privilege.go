package bridge

import (
	"strings"

	"passerelle.im/passerelle/bridge/wire"
)

// XEP-0356: the privileges the server grants the component (roster
// access, sending as the user, iq stanzas as the user per namespace).

// perms are the XEP-0356 privileges the server granted the component.
type perms struct {
	roster  string // "", "get", "set", "both"
	message string // "", "outgoing"
	// iq is the type ("get", "set", "both") granted per namespace of a
	// privileged iq's payload.
	iq map[string]string
}

func (p perms) rosterWrite() bool { return p.roster == "set" || p.roster == "both" }

func (p perms) rosterRead() bool { return p.roster == "get" || p.roster == "both" }

// iqSet reports whether the component may send iq stanzas of type set
// with a payload in namespace ns as the user.
func (p perms) iqSet(ns string) bool { return p.iq[ns] == "set" || p.iq[ns] == "both" }

// iqGet reports whether the component may send iq stanzas of type get
// with a payload in namespace ns as the user.
func (p perms) iqGet(ns string) bool { return p.iq[ns] == "get" || p.iq[ns] == "both" }

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
				case "iq":
					p.iq = iqPerms(c, p.iq)
				}
			}
			walk(c)
		}
	}
	walk(priv)
	t.mu.Lock()
	t.perms = p
	t.mu.Unlock()
	t.log.Info("privileges granted by the server", "roster", p.roster, "message", p.message, "iq", p.iq)
}

// iqPerms collects the <namespace ns type/> elements of an iq perm into
// m. Every descendant counts: Debian's mod_privilege (prosody-modules of
// Prosody 0.12) nests each namespace in the previous one, as it never
// closes them.
func iqPerms(perm *wire.Element, m map[string]string) map[string]string {
	for i := range perm.Children {
		n := &perm.Children[i]
		if n.XMLName.Local == "namespace" && n.Attr("ns") != "" {
			if m == nil {
				m = map[string]string{}
			}
			m[n.Attr("ns")] = n.Attr("type")
		}
		m = iqPerms(n, m)
	}
	return m
}

func (t *transport) privileges() perms {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.perms
}
