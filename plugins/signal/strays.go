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

// strayNote is an envelope kept for an account no session has. It stays
// pending in the inbox of the session that read it (ref there) until
// the account's session has it in its own inbox: a plugin stopped
// meanwhile reads it again from there at the next start (inbox.go).
type strayNote struct {
	params json.RawMessage
	from   *Session // nil once from logged out
	ref    uint64
}

// stray hands params, a receive notification for account that the
// session from read on its subscription (ref in its inbox), to the
// session of that account, or keeps it for when one connects; held
// reports whether it is kept, to be left pending in from's inbox.
func (n *Network) stray(from *Session, account string, params json.RawMessage, ref uint64) (held bool) {
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
			n.strays = map[string][]strayNote{}
		}
		q := n.strays[account]
		if ref != 0 && slices.ContainsFunc(q, func(k strayNote) bool { return k.from == from && k.ref == ref }) {
			n.mu.Unlock()
			return true // read again from from's inbox, kept already
		}
		q = append(q, strayNote{params: params, from: from, ref: ref})
		var cut []strayNote
		if len(q) > maxStrays {
			if !n.straysCut[account] {
				if n.straysCut == nil {
					n.straysCut = map[string]bool{}
				}
				n.straysCut[account] = true
				n.host.Logger().Warn("signal: envelopes of an account no login uses came on another login's subscription; the oldest are dropped", "account", account, "kept", maxStrays)
			}
			cut = slices.Clone(q[:len(q)-maxStrays])
			q = slices.Clone(q[len(q)-maxStrays:])
		}
		n.strays[account] = q
		n.mu.Unlock()
		release(cut)
		return true
	}
	n.mu.Unlock()
	to.adopt([]json.RawMessage{params})
	return false
}

// release has the envelopes kept leave the inboxes that held them.
func release(ks []strayNote) {
	for _, k := range ks {
		if k.from != nil {
			k.from.inbox.handled(k.ref)
		}
	}
}

// liveTaking records s connected (live) and takes the envelopes kept
// for its account, in one step: a stray read meanwhile is either kept
// before and taken, or handed to s.
func (n *Network) liveTaking(s *Session) []strayNote {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.sessions == nil {
		n.sessions = map[*Session]bool{}
	}
	n.sessions[s] = true
	return n.takeLocked(s)
}

// takeLocked takes the envelopes kept for the session's account; n.mu
// is held.
func (n *Network) takeLocked(s *Session) []strayNote {
	var out []strayNote
	for account, q := range n.strays {
		if s.isSelfNumber(account) {
			out = append(out, q...)
			delete(n.strays, account)
			delete(n.straysCut, account)
		}
	}
	return out
}

// dropStrays forgets the envelopes kept for the session's account, and
// those it holds in its inbox stay in memory only (it logged out).
func (n *Network) dropStrays(s *Session) {
	n.mu.Lock()
	dropped := n.takeLocked(s)
	for _, q := range n.strays {
		for i := range q {
			if q[i].from == s {
				q[i].from = nil
			}
		}
	}
	n.mu.Unlock()
	release(dropped)
}

// adopt takes envelopes of the account read on another session's
// subscription: each one not handled already is kept in the inbox and
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
		if key, ok := envelopeKey(p); ok && s.dedup.seenKey(key) {
			continue
		}
		notes = append(notes, rpc.Note{Method: "receive", Params: p})
	}
	if len(notes) == 0 {
		return
	}
	s.inbox.received(notes, true)
	if s.c != nil {
		s.c.Inject(notes)
	}
}

// adoptKept is adoptLocked for envelopes kept for the account: once in
// its inbox, they leave the inboxes that held them.
func (s *Session) adoptKept(ks []strayNote) {
	ps := make([]json.RawMessage, len(ks))
	for i, k := range ks {
		ps[i] = k.params
	}
	s.adoptLocked(ps)
	release(ks)
}

// strayDedup remembers the last envelopes a session handled, by
// envelopeKey, and whether each came on its own subscription or from
// another's, so that the second copy of one signal-cli wrote to both is
// dropped. An envelope its own subscription gives twice is not: that is
// signal-cli's doing, and handled as before. What it remembers is kept
// on disk too (dedupfile.go): the other copy may still be pending in an
// inbox when the plugin stops, and be handled at the next start.
type strayDedup struct {
	mu    sync.Mutex
	seen  map[string]bool // key -> came from another subscription
	order []string
	file  dedupFile
}

// handledKey is an envelope as the dedup knows it, to keep on disk
// once handled (keep).
type handledKey struct {
	key   string
	stray bool
}

// own reports whether the note n, about to be handled, is to be: not
// when a copy that came the other way (a stray adopted, or the
// subscription's own) was handled before. stray says n was adopted.
// Decided as each is handled, not as a stray is adopted: the copy
// queued first is the one handled, in its place among the others. k is
// to keep once n is handled.
func (d *strayDedup) own(n rpc.Note, stray bool) (handle bool, k handledKey) {
	key, ok := envelopeKey(n.Params)
	if !ok {
		return true, handledKey{}
	}
	return d.first(key, stray), handledKey{key: key, stray: stray}
}

// seenKey reports whether a copy of the envelope of key was handled.
func (d *strayDedup) seenKey(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.seen[key]
	return ok
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

// keep writes k, an envelope handled (its events journalled), to disk:
// only then, since one left pending is handled again at the next start
// and must not be taken for its own other copy.
func (d *strayDedup) keep(k handledKey) {
	if k.key == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.file.add(k)
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
