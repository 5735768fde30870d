package bridge

import (
	"context"
	"errors"
	"strings"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/bridge/xmpplink"
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

// A start's first work (the plugin's contact and chat lists, the user's
// own message from another device) can come before the server's XEP-0356
// advertisement, which follows the component's handshake: done then, a
// new contact asked to be added instead of being put in the roster, a
// room got an invitation instead of a bookmark. The server handles a
// component's stanzas in order, and route reads the advertisement on the
// link's reader, in stream order: once the server answered a ping sent
// after the handshake, its advertisement, if it grants anything, has been
// read. Until then, privileges waits for that answer.

// privilegesWait bounds the wait for the server's answer.
var privilegesWait = 5 * time.Second

// learnPrivileges pings the server after a handshake; its answer marks
// the privileges known (privKnown). A link that drops first leaves them
// unknown: the next handshake tries again. An answer that never comes
// (callTimeout) counts as known: nothing waits for ever.
func (t *transport) learnPrivileges() {
	select {
	case <-t.privKnown:
		return // known since an earlier handshake: the server grants the same
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var w wire.Writer
	id := t.link.NewID()
	w.Start("iq", "").Attr("from", t.domain).Attr("to", t.serverDomain()).Attr("type", "get").Attr("id", id)
	w.Start("ping", wire.NSPing).End()
	w.End()
	_, err := t.link.IQ(ctx, id, w.Bytes())
	if errors.Is(err, xmpplink.ErrDown) {
		return
	}
	if err != nil {
		t.log.Warn("the server did not answer a ping after the handshake; going on with the privileges it advertised", "err", err)
	}
	t.privOnce.Do(func() { close(t.privKnown) })
}

// privilegeAdvert handles the server's XEP-0356 advertisement, on the
// link's reader (route), and reports whether st was it.
func (t *transport) privilegeAdvert(st *wire.Stanza) bool {
	if st.Kind() != "message" || st.From() != t.serverDomain() {
		return false
	}
	priv := st.Child(nsPrivilege, "privilege")
	if priv == nil {
		return false
	}
	t.onPrivilege(priv)
	return true
}

// privileges are the server's grants; right after a start it waits (at
// most privilegesWait) for the server to have said them.
func (t *transport) privileges() perms {
	if ch := t.privKnown; ch != nil {
		select {
		case <-ch:
		default:
			if t.link.Up() {
				timer := time.NewTimer(privilegesWait)
				select {
				case <-ch:
				case <-timer.C:
				}
				timer.Stop()
			}
		}
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.perms
}
