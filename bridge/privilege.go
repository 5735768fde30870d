package bridge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/bridge/xmpplink"
)

// XEP-0356: the privileges the server grants the component (roster
// access, sending as the user, iq stanzas as the user per namespace).
// Servers speak one of two versions: urn:xmpp:privilege:2 (Prosody,
// ejabberd 24.10 and later) and urn:xmpp:privilege:1 (XEP-0356 0.2/0.3:
// ejabberd before 24.10, old prosody-modules), which has the same roster
// and message permissions but no iq one. v1 grants are taken only from a
// server known to honour them: see privV1Rule.

// perms are the XEP-0356 privileges the server granted the component.
type perms struct {
	// ns is the namespace of the server's advertisement, in which the
	// component speaks to it (the wrapper of a message sent as the user).
	ns      string
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

// parentDomain reports whether from is a domain (a bare one: no user, no
// resource) t.domain lies under: only the server hosting the component
// may send from it. The server's own domain need not be the component's
// direct parent (wa.im.example.org on a server of example.org).
func (t *transport) parentDomain(from string) bool {
	if from == "" || strings.ContainsAny(from, "@/") {
		return false
	}
	return strings.HasSuffix(t.domain, "."+from)
}

// privilegeElem is st's XEP-0356 <privilege/>, in either namespace, or
// nil.
func privilegeElem(st *wire.Stanza) *wire.Element {
	if p := st.Child(nsPrivilege, "privilege"); p != nil {
		return p
	}
	return st.Child(nsPrivilege1, "privilege")
}

// onPrivilege records the server's XEP-0356 advertisement.
func (t *transport) onPrivilege(priv *wire.Element) {
	p := perms{ns: priv.XMLName.Space}
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
	if p.ns != nsPrivilege {
		p.iq = nil // no such permission before urn:xmpp:privilege:2
	}
	t.log.Info("privileges granted by the server", "roster", p.roster, "message", p.message, "iq", iqPermsText(p.iq), "namespace", p.ns)
	t.mu.Lock()
	t.privV1 = perms{}
	if p.ns == nsPrivilege1 {
		// Held until this connection's server says what it is
		// (checkPrivilegeServer); one that said so before keeps them
		// meanwhile, so a reconnection changes nothing.
		t.privV1 = p
		if !t.privV1OK {
			p = perms{ns: p.ns}
		}
	}
	t.perms = p
	t.mu.Unlock()
}

// privV1Rule says why urn:xmpp:privilege:1 grants are taken only from
// ejabberd 23.10 and later: ejabberd before it fails every roster set
// the component sends in its mod_roster (internal-server-error: ejabberd
// issue #3942) and sends a message written as the user straight to the
// contact, which is the gateway itself, without the carbons that show it
// in the user's clients (#3990); prosody-modules' mod_privilege before
// its v2 rewrite routed such messages the same way. Taken there, the
// grants would lose the user's contacts and the words they sent from
// their phone; without them the gateway asks for subscriptions and
// labels those words.
const privV1Rule = "privileges not taken: urn:xmpp:privilege:1 grants are taken from ejabberd 23.10 or later only (earlier servers fail roster writes and send messages written as the user without carbons)"

// checkPrivilegeServer asks a server that granted urn:xmpp:privilege:1
// privileges its software version (XEP-0092) and takes the grants only
// from one known to honour them (privV1Rule); no answer takes none. Its
// error is the link's drop (xmpplink.ErrDown).
func (t *transport) checkPrivilegeServer(ctx context.Context) error {
	t.mu.RLock()
	ns := t.privV1.ns
	t.mu.RUnlock()
	if ns != nsPrivilege1 {
		return nil
	}
	name, version, err := t.serverSoftware(ctx)
	if err != nil {
		return err
	}
	ok := honoursPrivilegeV1(name, version)
	server := softwareText(name, version)
	t.mu.Lock()
	t.privV1OK = ok
	if t.perms.ns == nsPrivilege1 {
		if ok {
			t.perms = t.privV1
		} else {
			t.perms = perms{ns: nsPrivilege1}
		}
	}
	said := t.privV1Said == server
	t.privV1Said = server
	t.mu.Unlock()
	switch {
	case said:
	case ok:
		t.log.Info("privileges taken", "server", server, "namespace", nsPrivilege1)
	default:
		t.log.Warn(privV1Rule, "server", server)
	}
	return nil
}

// serverSoftware asks the server its software's name and version
// (XEP-0092); both are "" when it does not say. Its error is the link's
// drop (xmpplink.ErrDown).
func (t *transport) serverSoftware(ctx context.Context) (name, version string, err error) {
	st, err := t.askServer(ctx, "query", wire.NSVersion)
	if errors.Is(err, xmpplink.ErrDown) {
		return "", "", err
	}
	if err == nil && st.Type() == "result" {
		if q := st.Child(wire.NSVersion, "query"); q != nil {
			if n := q.Child("", "name"); n != nil {
				name = strings.TrimSpace(n.Text)
			}
			if v := q.Child("", "version"); v != nil {
				version = strings.TrimSpace(v.Text)
			}
		}
	}
	return name, version, nil
}

// softwareText is a server's software as a log says it.
func softwareText(name, version string) string {
	if s := strings.TrimSpace(name + " " + version); s != "" {
		return s
	}
	return "(did not say)"
}

// askServer sends the server an iq get of an empty <local xmlns=ns/>
// and waits for its answer.
func (t *transport) askServer(ctx context.Context, local, ns string) (*wire.Stanza, error) {
	return t.ask(ctx, t.link.ServerDomain(), local, ns)
}

// ask sends the address to an iq get of an empty <local xmlns=ns/> and
// waits for its answer.
func (t *transport) ask(ctx context.Context, to, local, ns string) (*wire.Stanza, error) {
	var w wire.Writer
	id := t.link.NewID()
	w.Start("iq", "").Attr("from", t.domain).Attr("to", to).Attr("type", "get").Attr("id", id)
	w.Start(local, ns).End()
	w.End()
	return t.link.IQ(ctx, id, w.Bytes())
}

// honoursPrivilegeV1 reports whether a XEP-0092 name and version
// ("ejabberd", "23.10.0") are a server known to honour
// urn:xmpp:privilege:1 grants: ejabberd 23.10 or later.
func honoursPrivilegeV1(name, version string) bool {
	if !strings.EqualFold(name, "ejabberd") {
		return false
	}
	major, minor, ok := releaseOf(version)
	return ok && (major > 23 || major == 23 && minor >= 10)
}

// releaseOf reads the major and minor release of a XEP-0092 version
// ("23.01-1"); false when the version says none.
func releaseOf(version string) (major, minor int, ok bool) {
	_, err := fmt.Sscanf(version, "%d.%d", &major, &minor)
	return major, minor, err == nil
}

// versionKnown reports whether version names a release (releaseOf).
func versionKnown(version string) bool {
	_, _, ok := releaseOf(version)
	return ok
}

// iqPermsText is m as a log reads it: "ns=type" pairs sorted by
// namespace, space-separated; "" for none.
func iqPermsText(m map[string]string) string {
	pairs := make([]string, 0, len(m))
	for ns, typ := range m {
		pairs = append(pairs, ns+"="+typ)
	}
	slices.Sort(pairs)
	return strings.Join(pairs, " ")
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

// learnPrivileges pings the server after each handshake, at its domain
// (xmpp.server_domain, else the one it advertised from on an earlier
// connection or on this one already); its answer (and, after a
// urn:xmpp:privilege:1 grant, the server's version:
// checkPrivilegeServer) marks the privileges known (privKnown). A link
// that drops first leaves them unknown: the next handshake tries again.
// An answer that never comes (callTimeout) counts as known, with no v1
// grant taken: nothing waits for ever.
//
// Not knowing the domain yet (a first connection, unconfigured), it
// first pings the component's own domain, which the server routes back
// on this stream: Prosody writes its advertisement on the handshake, so
// it has been read by then, and the server's domain with it. Else the
// ping went to the guess (the component's domain less its first label),
// which for a component two labels under the server's is no domain of
// the server's: it went server-to-server, held until callTimeout where
// that is slow. ejabberd advertises a moment later: the second ping, to
// the guess (its right domain for a direct subdomain), waits for it as
// before.
func (t *transport) learnPrivileges() {
	ctx, cancel := context.WithTimeout(t.runCtx(), callTimeout) // the stop waits for it
	defer cancel()
	if _, known := t.link.KnownServerDomain(); !known {
		if _, err := t.ask(ctx, t.domain, "ping", wire.NSPing); errors.Is(err, xmpplink.ErrDown) {
			return
		}
	}
	_, err := t.askServer(ctx, "ping", wire.NSPing)
	if errors.Is(err, xmpplink.ErrDown) {
		return
	}
	if err != nil {
		t.log.Warn("the server did not answer a ping after the handshake; going on with the privileges it advertised", "err", err)
	} else if t.checkPrivilegeServer(ctx) != nil {
		return // the link dropped: the next handshake asks again
	}
	var p perms
	var missing string
	if err == nil {
		// Decided with the grants, before privKnown: whoever reads them
		// knows whether they will be warned of.
		p, missing = t.newlyMissingPrivileges()
	}
	t.privOnce.Do(func() { close(t.privKnown) })
	if missing != "" {
		// After privKnown: the warning asks the server's version,
		// which nothing need wait for.
		t.warnMissingPrivileges(ctx, p, missing)
	}
}

// missingPrivilegesMsg is the warning of a transport the server grants
// no roster or message privilege: a server that grants none sends no
// advertisement at all, so without it the log says nothing, and the
// admin who forgot the transport's entry never learns why contacts ask
// to be authorised. Where to grant them follows (grantAdvice).
const missingPrivilegesMsg = "the server grants this transport no XEP-0356 privilege for the users' rosters or their messages: its contacts ask each user to authorise them instead of being added to the roster, and the words a user writes from the network's own app come as the contact's, labelled"

// grantAdvice says where a server of this software (XEP-0092) grants the
// privileges, true for the server at hand: ejabberd before 23.10 has
// none the gateway takes (privV1Rule), and examples/ejabberd.yml says to
// leave mod_privilege out there, so it is not sent to enable it. A
// server that does not say what it is, or an ejabberd that does not say
// which release, gets both servers' answers.
func grantAdvice(name, version string) string {
	const (
		prosody  = "grant them to the transport's domain with privileged_entities, as examples/prosody.cfg.lua shows"
		ejabberd = "grant them to the transport's domain with mod_privilege, as examples/ejabberd.yml shows"
	)
	switch {
	case strings.EqualFold(name, "prosody"):
		return prosody
	case honoursPrivilegeV1(name, version):
		return ejabberd
	case strings.EqualFold(name, "ejabberd") && versionKnown(version):
		return "ejabberd " + version + " has none the gateway can take (before 23.10 it fails roster writes and sends messages written as the user without carbons): leave mod_privilege out, as examples/ejabberd.yml says; with ejabberd 23.10 or later, grant them with mod_privilege as it shows"
	}
	return "grant them to the transport's domain: Prosody with privileged_entities (examples/prosody.cfg.lua); ejabberd 23.10 or later with mod_privilege (examples/ejabberd.yml; ejabberd before 23.10 has none the gateway can take)"
}

// newlyMissingPrivileges returns the grants and the roster and message
// privileges they lack, "" when none or when that was told already
// (noted as told): once the server's grants are known, learnPrivileges
// warns of them (warnMissingPrivileges) each time what is missing
// changes. v1 grants not taken from the server are told by
// checkPrivilegeServer instead.
func (t *transport) newlyMissingPrivileges() (perms, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.perms
	var missing []string
	if !(p.rosterRead() && p.rosterWrite()) {
		missing = append(missing, `roster = "both"`)
	}
	if p.message != "outgoing" {
		missing = append(missing, `message = "outgoing"`)
	}
	said := strings.Join(missing, ", ")
	rejectedV1 := t.privV1.ns == nsPrivilege1 && !t.privV1OK
	if said == t.privMissingSaid || rejectedV1 {
		return p, ""
	}
	t.privMissingSaid = said
	return p, said // "": all granted, which the grants' own line said (onPrivilege)
}

// warnMissingPrivileges logs missingPrivilegesMsg for grants p lacking
// missing, with where to grant them on this server, which it asks.
func (t *transport) warnMissingPrivileges(ctx context.Context, p perms, missing string) {
	// A drop leaves the software unknown: the advice for both is true.
	name, version, _ := t.serverSoftware(ctx)
	t.log.Warn(missingPrivilegesMsg+"; "+grantAdvice(name, version), "domain", t.domain, "missing", missing,
		"granted_roster", p.roster, "granted_message", p.message, "server", softwareText(name, version))
}

// privilegeAdvert handles the server's XEP-0356 advertisement, on the
// link's reader (route), and reports whether st was it.
func (t *transport) privilegeAdvert(st *wire.Stanza) bool {
	if st.Kind() != "message" || !t.parentDomain(st.From()) {
		return false
	}
	priv := privilegeElem(st)
	if priv == nil {
		return false
	}
	if !t.link.SetServerDomain(st.From()) {
		// Not the server the configuration names: grants from another
		// domain are no grants of the server's.
		t.log.Warn("privilege advertisement from a domain other than xmpp.server_domain; not taken", "from", st.From(), "server_domain", t.link.ServerDomain())
		return true
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
