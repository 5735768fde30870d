package bridge

import "testing"

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
		a := &userAvail{state: c.start, resources: map[string]struct{}{}}
		for i, s := range c.steps {
			replay := a.note(s.resource, s.typ)
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
