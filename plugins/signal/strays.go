package signal

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"

	"passerelle.im/passerelle/plugins/signal/rpc"
)

// signal-cli in multi-account mode gives an account added while a
// connection has a subscription (a second user linking by QR code while
// another login is connected) to every subscription of every connection
// (SignalJsonRpcDispatcherHandler's onManagerAddedReceiveSubscriptionsHandler),
// and adding a receive handler starts its receiving at once, even in
// manual receive mode. Its first envelopes (the phone's contact and group
// lists, a message) then go only to the other session's subscription,
// before the new account's own session subscribes; signal-cli forgets
// them once written. Later ones go to both. A session hands another
// account's envelopes to the Network, which gives them to that
// account's session (its inbox, then its handler) or keeps them until
// it connects; a session drops whichever copy of an envelope comes
// second (strayDedup).

// maxStrays bounds the envelopes kept for an account no session has: an
// account of signal-cli's that no login uses keeps sending them for as
// long as the other session stays subscribed.
const maxStrays = 500

// stray hands params, a receive notification for account that the
// session from read on its subscription, to the session of that
// account, or keeps it for when one connects.
func (n *Network) stray(from *Session, account string, params json.RawMessage) {
	n.mu.Lock()
	var to *Session
	for s := range n.sessions {
		if s != from && s.isSelfNumber(account) {
			to = s
			break
		}
	}
	if to == nil {
		if n.strays == nil {
			n.strays = map[string][]json.RawMessage{}
		}
		q := append(n.strays[account], params)
		if len(q) > maxStrays {
			if !n.straysCut[account] {
				if n.straysCut == nil {
					n.straysCut = map[string]bool{}
				}
				n.straysCut[account] = true
				n.host.Logger().Warn("signal: envelopes of an account no login uses came on another login's subscription; the oldest are dropped", "account", account, "kept", maxStrays)
			}
			q = slices.Clone(q[len(q)-maxStrays:])
		}
		n.strays[account] = q
		n.mu.Unlock()
		return
	}
	n.mu.Unlock()
	to.adopt([]json.RawMessage{params})
}

// liveTaking records s connected (live) and takes the envelopes kept
// for its account, in one step: a stray read meanwhile is either kept
// before and taken, or handed to s.
func (n *Network) liveTaking(s *Session) []json.RawMessage {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.sessions == nil {
		n.sessions = map[*Session]bool{}
	}
	n.sessions[s] = true
	var out []json.RawMessage
	for account, q := range n.strays {
		if s.isSelfNumber(account) {
			out = append(out, q...)
			delete(n.strays, account)
			delete(n.straysCut, account)
		}
	}
	return out
}

// dropStrays forgets the envelopes kept for the session's account (it
// logged out).
func (n *Network) dropStrays(s *Session) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for account := range n.strays {
		if s.isSelfNumber(account) {
			delete(n.strays, account)
			delete(n.straysCut, account)
		}
	}
}

// adopt takes envelopes of the account read on another session's
// subscription: each one not seen already is kept in the inbox and
// handed to the handler after what the connection read so far, or at
// the next Connect when there is no connection (the inbox's backlog).
func (s *Session) adopt(ps []json.RawMessage) {
	// Under mu: Connect reads the inbox's backlog and sets the client
	// under it, so each note is either in that backlog or injected.
	s.mu.Lock()
	defer s.mu.Unlock()
	s.adoptLocked(ps)
}

// adoptLocked is adopt, with s.mu held.
func (s *Session) adoptLocked(ps []json.RawMessage) {
	var notes []rpc.Note
	for _, p := range ps {
		if key, ok := envelopeKey(p); ok && !s.dedup.first(key, true) {
			continue
		}
		notes = append(notes, rpc.Note{Method: "receive", Params: p})
	}
	if len(notes) == 0 {
		return
	}
	s.inbox.received(notes)
	s.dedup.mu.Lock()
	if s.dedup.refs == nil {
		s.dedup.refs = map[uint64]bool{}
	}
	for _, n := range notes {
		s.dedup.refs[n.Ref] = true
	}
	s.dedup.mu.Unlock()
	if s.c != nil {
		s.c.Inject(notes)
	}
}

// strayDedup remembers the last envelopes a session handled, by
// envelopeKey, and whether each came on its own subscription or from
// another's, so that the second copy of one signal-cli wrote to both is
// dropped. An envelope its own subscription gives twice is not: that is
// signal-cli's doing, and handled as before.
type strayDedup struct {
	mu    sync.Mutex
	seen  map[string]bool // key -> came from another subscription
	order []string
	// refs are the inbox references of the envelopes adopted and not
	// yet handled: the handler tells them from its own (own).
	refs map[uint64]bool
}

// own reports whether the note n, about to be handled, is to be: a
// stray adopted is (it was checked then); one of the subscription's own
// is unless a copy came from another's.
func (d *strayDedup) own(n rpc.Note) bool {
	d.mu.Lock()
	stray := d.refs[n.Ref]
	delete(d.refs, n.Ref)
	d.mu.Unlock()
	if stray {
		return true
	}
	key, ok := envelopeKey(n.Params)
	return !ok || d.first(key, false)
}

const dedupKeep = 2048

// first records key, which came from another session's subscription
// (stray) or the session's own, and reports whether the envelope is to
// be handled: not when a copy came the other way, nor a stray twice.
func (d *strayDedup) first(key string, stray bool) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if wasStray, ok := d.seen[key]; ok {
		if !stray && !wasStray {
			return true
		}
		return false
	}
	if d.seen == nil {
		d.seen = map[string]bool{}
	}
	d.seen[key] = stray
	d.order = append(d.order, key)
	if len(d.order) > dedupKeep {
		delete(d.seen, d.order[0])
		d.order = slices.Delete(d.order, 0, 1)
	}
	return true
}

// envelopeKey identifies a receive notification's envelope whichever
// subscription it came on: its account, its sender and device, its
// timestamps and the parts it has (signal-cli writes the same envelope
// alike to each subscription, each under its own subscription ID).
func envelopeKey(params json.RawMessage) (string, bool) {
	var p struct {
		Result   json.RawMessage `json:"result"`
		Envelope json.RawMessage `json:"envelope"`
		Account  string          `json:"account"`
		// Exception: signal-cli could not decrypt it (no content).
		Exception json.RawMessage `json:"exception"`
	}
	if json.Unmarshal(params, &p) != nil {
		return "", false
	}
	if len(p.Result) > 0 {
		p.Envelope, p.Account, p.Exception = nil, "", nil
		if json.Unmarshal(p.Result, &p) != nil {
			return "", false
		}
	}
	var env map[string]json.RawMessage
	if json.Unmarshal(p.Envelope, &env) != nil || env == nil {
		return "", false
	}
	var parts []string
	for k, v := range env {
		if string(v) != "null" {
			parts = append(parts, k)
		}
	}
	slices.Sort(parts)
	str := func(k string) string { return strings.Trim(string(env[k]), `"`) }
	key := []string{p.Account, str("sourceUuid"), str("source"), str("sourceDevice"), str("timestamp"), str("serverReceivedTimestamp"), strconv.FormatBool(len(p.Exception) > 0 && string(p.Exception) != "null"), strings.Join(parts, ",")}
	return strings.Join(key, "|"), true
}
