package bridge

import (
	"sync"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/puppet"
)

// parseJID is jid.Parse, cached.
func (t *transport) parseJID(s string) (jid.JID, error) {
	return t.jids.get(s, func() (jid.JID, error) { return jid.Parse(s) })
}

// puppetJID is puppet.JID on the transport's domain, cached.
func (t *transport) puppetJID(userID string) (jid.JID, error) {
	// A NUL can start no JID, so puppet keys never meet parsed ones.
	return t.jids.get("\x00"+userID, func() (jid.JID, error) { return puppet.JID(userID, t.domain) })
}

// jidCache remembers parsed JIDs. mellium normalises a domain through
// IDNA on every parse, a twentieth of the gateway's CPU per echoed
// message, while a gateway sees the same JIDs over and over: its users'
// and its puppets'. Only valid JIDs are kept; the cache starts afresh when
// full rather than tracking use.
type jidCache struct {
	mu sync.Mutex
	m  map[string]jid.JID
}

const jidCacheMax = 1 << 14

// get returns the JID for key, made by parse on a miss.
func (c *jidCache) get(key string, parse func() (jid.JID, error)) (jid.JID, error) {
	c.mu.Lock()
	j, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return j, nil
	}
	j, err := parse()
	if err != nil {
		return jid.JID{}, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= jidCacheMax {
		c.m = make(map[string]jid.JID)
	}
	c.m[key] = j
	c.mu.Unlock()
	return j, nil
}
