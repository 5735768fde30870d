package bridge

import (
	"context"
	"strconv"
	"strings"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A user's availability, as far as the gateway knows it. Contacts'
// presence goes only to users who may be online: with thousands of users
// of hundreds of contacts each, a start of the gateway used to send every
// contact's presence to every user, and the XMPP server spent most of a
// minute routing presences to users who were not even connected. The
// gateway learns availability the XMPP way: it probes the user when it
// starts their contact sync, and the user's server answers if the user
// let the gateway see their presence (XEP-0100: the gateway asks to at
// login); afterwards the server tells it of every resource coming and
// going. Without that subscription nothing is known, and presence is sent
// as before.
type availState uint8

const (
	// availUnknown: no answer to rely on; presence is sent (the server
	// drops it if the user is offline).
	availUnknown availState = iota
	// availProbing: a probe is out; contacts' presence is held, then sent
	// at once if the answer says the user is online or says nothing.
	availProbing
	// availOnline: at least one resource is known to be available.
	availOnline
	// availOffline: the user's server said no resource is available;
	// presence is held. When the user comes back, their server probes the
	// contacts, and the gateway answers with what it holds.
	availOffline
)

// probeWait bounds how long presence is held for a probe's answer.
const probeWait = 10 * time.Second

type userAvail struct {
	state  availState
	probed bool // a probe was sent since the gateway started
	// resources are the available resources, while online, each with
	// what it last said of itself.
	resources map[string]ownPresence
	seq       uint64 // the last ownPresence.seq given
	// complete: resources holds every available resource, because the
	// gateway has followed the user since a probe's answer or since they
	// were offline; only then does the last one leaving make them offline.
	complete bool
}

var availNames = [...]string{"unknown", "probing", "online", "offline"}

// ownPresence is what one resource of the user last said of itself in
// its broadcast presence.
type ownPresence struct {
	show     pb.PresenceShow
	status   string
	priority int
	seq      uint64 // arrival order: of equal priorities, the latest counts
}

// parseOwnPresence reads an available presence of the user's.
func parseOwnPresence(st *wire.Stanza) ownPresence {
	p := ownPresence{show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}
	if show := st.Child("", "show"); show != nil {
		if v, ok := map[string]pb.PresenceShow{"away": pb.PresenceShow_PRESENCE_SHOW_AWAY, "xa": pb.PresenceShow_PRESENCE_SHOW_XA,
			"dnd": pb.PresenceShow_PRESENCE_SHOW_DND, "chat": pb.PresenceShow_PRESENCE_SHOW_CHAT}[strings.TrimSpace(show.Text)]; ok {
			p.show = v
		}
	}
	if status := st.Child("", "status"); status != nil {
		p.status = status.Text
	}
	if prio := st.Child("", "priority"); prio != nil {
		// RFC 6121 §4.7.2.3: -128 to 127; anything else counts as 0.
		if n, err := strconv.Atoi(strings.TrimSpace(prio.Text)); err == nil && n >= -128 && n <= 127 {
			p.priority = n
		}
	}
	return p
}

// best is the presence the network shows for the user: the available
// resource of the highest priority, of equal ones the latest to speak
// (RFC 6121's most available resource). ok is false with none known.
func (a *userAvail) best() (p ownPresence, ok bool) {
	for _, r := range a.resources {
		if !ok || r.priority > p.priority || r.priority == p.priority && r.seq > p.seq {
			p, ok = r, true
		}
	}
	return p, ok
}

// proto is p as the plugin contract says it.
func (p ownPresence) proto() *pb.Presence {
	return &pb.Presence{Show: p.show, Status: p.status}
}

func (s availState) String() string { return availNames[s] }

// wantsPresence reports whether contacts' presence goes to the user now.
func (a *userAvail) wantsPresence() bool {
	return a == nil || a.state == availUnknown || a.state == availOnline
}

// note applies a presence of the user (typ, from resource; p is what an
// available one says) or a probe's timeout to a, and reports whether the
// presence held for the user is now due.
func (a *userAvail) note(resource, typ string, p ownPresence) bool {
	prev := a.state
	switch typ {
	case "":
		if a.state != availOnline {
			// Offline or probing, the gateway knew every resource: this
			// one is all there is. From nothing known, it may not be.
			a.complete = a.state == availOffline || a.state == availProbing
			a.resources = map[string]ownPresence{}
		}
		a.seq++
		p.seq = a.seq
		a.resources[resource] = p
		a.state = availOnline
	case "unavailable":
		switch {
		case a.state == availProbing && resource == "":
			a.state = availOffline // the probe's answer: no resource
		case a.state == availOnline:
			delete(a.resources, resource)
			if len(a.resources) == 0 {
				a.state = availUnknown
				if a.complete {
					a.state = availOffline
				}
			}
		}
	case "unsubscribed":
		// The gateway may no longer see the user's presence.
		a.state = availUnknown
	case "error", "timeout":
		// Nothing heard.
		if a.state == availProbing {
			a.state = availUnknown
		}
	}
	now := a.state
	// Presence held for a probe goes out once it is answered. Back from
	// offline, the user's server probes the contacts itself, and the
	// gateway answers each probe: nothing to send.
	return (prev == availProbing || (prev == availOffline && now == availUnknown)) && a.wantsPresence()
}

// probe asks the user's server for the user's availability, once per
// start of the gateway, holding contacts' presence until it answers. Only
// users who let the gateway see their presence are probed: Prosody
// answers anyone else's probe with an "unsubscribed" in the user's name,
// which also cancels the gateway's pending request to see it.
func (s *session) probe(ctx context.Context) {
	s.mu.Lock()
	if !s.login.SeesPresence {
		s.mu.Unlock()
		return
	}
	a := s.avail
	if a == nil {
		a = &userAvail{}
		s.avail = a
	}
	if a.probed {
		s.mu.Unlock()
		return
	}
	a.probed = true
	if a.state == availUnknown {
		a.state = availProbing
	}
	s.mu.Unlock()
	s.t.send(ctx, s.t.presence(s.user, "probe"))
	s.t.afterBg(probeWait, func() { s.noteAvail(context.WithoutCancel(ctx), "", "timeout", ownPresence{}) })
}

// noteAvail updates the user's availability from a presence of theirs
// (typ is its type, resource the sender's resource, p what an available
// one says), or from a probe's timeout ("timeout"), and sends the held
// presence when it is due. It reports whether a resource of the user is
// known to be available after it (a resource going offline then leaves
// the user online), and if so what the network is to show (best).
func (s *session) noteAvail(ctx context.Context, resource, typ string, p ownPresence) (online bool, best ownPresence) {
	s.mu.Lock()
	a := s.avail
	if a == nil {
		if typ != "" {
			// Nothing known and nothing learnt: an unavailable presence
			// of one resource says nothing of the others.
			s.mu.Unlock()
			return false, ownPresence{}
		}
		a = &userAvail{}
		s.avail = a
	}
	prev := a.state
	replay := a.note(resource, typ, p)
	now := a.state
	if now == availOnline {
		best, _ = a.best()
	}
	s.mu.Unlock()
	if prev != now {
		s.t.log.Debug("user availability", "user", s.user, "from", prev, "to", now, "because", typ)
	}
	if replay && s.t.session(s.user) == s {
		s.replayPresences(ctx)
	}
	return now == availOnline, best
}

// tellAvailability tells the network, as the login connects, what the
// user's XMPP presence says now: a network connected afresh (after a
// reconnection, a restart of the plugin) shows its own default, online
// for some, until the user's next change. Nothing when nothing is known
// yet: the probe's answer tells it.
func (s *session) tellAvailability(ctx context.Context) {
	var p *pb.Presence
	s.mu.Lock()
	if a := s.avail; a != nil {
		switch a.state {
		case availOnline:
			if b, ok := a.best(); ok {
				p = b.proto()
			}
		case availOffline:
			p = &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_OFFLINE}
		}
	}
	s.mu.Unlock()
	if p != nil {
		s.t.forwardPresence(ctx, s.Login(), p)
	}
}

// wantsPresence reports whether contacts' presence goes to the user now.
func (s *session) wantsPresence() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.avail.wantsPresence() // nil: nothing known
}

// setSeesPresence records whether the user lets the gateway see their
// presence, in the store (for the probe at the next start) and in memory.
func (s *session) setSeesPresence(ctx context.Context, sees bool) {
	t := s.t
	l := s.Login()
	if l.SeesPresence == sees {
		return
	}
	if err := t.db.SetSeesPresence(ctx, t.name, l.UserJID, sees); err != nil {
		t.log.Error("storing the presence subscription failed", "user", l.UserJID, "err", err)
		return
	}
	s.mu.Lock()
	s.login.SeesPresence = sees
	s.mu.Unlock()
	t.log.Info("presence subscription", "user", l.UserJID, "gateway_sees_presence", sees)
}

// replayPresences sends the user every contact presence held for the login.
func (s *session) replayPresences(ctx context.Context) {
	t := s.t
	n := 0
	for _, id := range s.contactsWithPresence() {
		p := s.presence(id)
		pj, err := t.puppetJID(id)
		if p == nil || err != nil {
			continue
		}
		t.send(ctx, s.renderPresence(s.user, pj.String(), id, p))
		n++
	}
	t.log.Info("held presences sent", "user", s.user, "login", s.LoginID(), "count", n)
}
