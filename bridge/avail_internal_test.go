package bridge

import (
	"testing"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestUserAvail walks the availability a user's presences imply, and
// when presence held for them is due.
func TestUserAvail(t *testing.T) {
	type step struct {
		resource, typ string
		state         availState
		replay        bool
	}
	for _, c := range []struct {
		name  string
		start availState
		steps []step
	}{
		{"probe answered by two resources, then both leave", availProbing, []step{
			{"phone", "", availOnline, true},
			{"laptop", "", availOnline, false},
			{"phone", "unavailable", availOnline, false},
			{"laptop", "unavailable", availOffline, false},
			{"phone", "", availOnline, false}, // back: her server probes the contacts
		}},
		{"probe answered: no resource", availProbing, []step{
			{"", "unavailable", availOffline, false},
		}},
		{"a resource leaving while probing is not the answer", availProbing, []step{
			{"phone", "unavailable", availProbing, false},
			{"", "timeout", availUnknown, true},
		}},
		{"probe bounced", availProbing, []step{
			{"", "error", availUnknown, true},
		}},
		{"from nothing known, one resource seen is not all of them", availUnknown, []step{
			{"laptop", "", availOnline, false},
			{"laptop", "unavailable", availUnknown, false},
		}},
		{"subscription revoked while offline", availOffline, []step{
			{"", "unsubscribed", availUnknown, true},
		}},
		{"a late timeout changes nothing", availOnline, []step{
			{"", "timeout", availOnline, false},
		}},
	} {
		a := &userAvail{state: c.start, resources: map[string]ownPresence{}}
		for i, s := range c.steps {
			replay := a.note(s.resource, s.typ, ownPresence{})
			if a.state != s.state || replay != s.replay {
				t.Errorf("%s, step %d (%q %q): %v replay %v, want %v replay %v", c.name, i, s.resource, s.typ, a.state, replay, s.state, s.replay)
				break
			}
			if want := s.state == availUnknown || s.state == availOnline; a.wantsPresence() != want {
				t.Errorf("%s, step %d: wantsPresence %v in state %v", c.name, i, a.wantsPresence(), a.state)
			}
		}
	}
	if !(*userAvail)(nil).wantsPresence() {
		t.Error("a user nothing is known of gets no presence")
	}
}

// TestOwnPresenceBest: the network shows the available resource of the
// highest priority; of equal ones, the latest to speak; a resource that
// left counts no more.
func TestOwnPresenceBest(t *testing.T) {
	a := &userAvail{}
	a.note("phone", "", ownPresence{show: pb.PresenceShow_PRESENCE_SHOW_AWAY, priority: 5})
	a.note("laptop", "", ownPresence{status: "at my desk", priority: 1})
	if p, ok := a.best(); !ok || p.show != pb.PresenceShow_PRESENCE_SHOW_AWAY {
		t.Errorf("best = %+v %v, want the phone's (priority 5)", p, ok)
	}
	a.note("tablet", "", ownPresence{status: "tablet", priority: 5})
	if p, _ := a.best(); p.status != "tablet" {
		t.Errorf("best = %+v, want the tablet's (priority 5, latest)", p)
	}
	a.note("tablet", "unavailable", ownPresence{})
	a.note("phone", "unavailable", ownPresence{})
	if p, _ := a.best(); p.status != "at my desk" {
		t.Errorf("best = %+v, want the laptop's (the one left)", p)
	}
	a.note("laptop", "unavailable", ownPresence{})
	if p, ok := a.best(); ok {
		t.Errorf("best = %+v with no resource left", p)
	}
}

// TestParseOwnPresence reads show, status and priority, and takes a
// priority out of range or no number as 0.
func TestParseOwnPresence(t *testing.T) {
	for _, c := range []struct {
		xml  string
		want ownPresence
	}{
		{`<presence/>`, ownPresence{show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}},
		{`<presence><show>xa</show><status>gone</status><priority>-3</priority></presence>`,
			ownPresence{show: pb.PresenceShow_PRESENCE_SHOW_XA, status: "gone", priority: -3}},
		{`<presence><show>bogus</show><priority>900</priority></presence>`, ownPresence{show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}},
	} {
		st, err := wire.Parse(c.xml)
		if err != nil {
			t.Fatal(err)
		}
		if got := parseOwnPresence(st); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.xml, got, c.want)
		}
	}
}
