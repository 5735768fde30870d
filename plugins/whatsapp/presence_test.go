package whatsapp

import (
	"context"
	"slices"
	"testing"

	"go.mau.fi/whatsmeow/appstate"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A connection while the user is not available tells WhatsApp so, with
// the account's name (whatsmeow sends no presence by itself, and
// WhatsApp shows those the user writes to the name a presence carried,
// "-" without one); right after linking, once the name is known. The
// user's own presence, set meanwhile, is the last sent.
func TestConnectedPresenceUnavailable(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	s.presenceWork.Wait()
	if countOf(fake.Presences(), types.PresenceUnavailable) == 0 {
		t.Errorf("presences once linked, the user away: %v, want unavailable", fake.Presences())
	}
	fake.ClearPresences()
	fake.Emit(&events.Connected{}) // a new connection
	s.presenceWork.Wait()
	if p := fake.Presences(); !slices.Equal(p, []types.Presence{types.PresenceUnavailable}) {
		t.Fatalf("presences on connecting, the user away: %v, want unavailable", p)
	}
	// Available, then a new connection: available again, nothing else.
	if err := s.SetPresence(context.Background(), &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}); err != nil {
		t.Fatal(err)
	}
	fake.Emit(&events.Connected{})
	s.presenceWork.Wait()
	if p := fake.Presences(); !slices.Equal(p, []types.Presence{types.PresenceUnavailable, types.PresenceAvailable, types.PresenceAvailable}) {
		t.Errorf("presences once available and connected again: %v", p)
	}
	// Away, then a connection before the account's name is known (a
	// device just linked): none, then unavailable once it comes.
	if err := s.SetPresence(context.Background(), &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AWAY}); err != nil {
		t.Fatal(err)
	}
	s.d.dev.PushName = ""
	fake.Emit(&events.Connected{})
	s.presenceWork.Wait()
	if n := len(fake.Presences()); n != 4 {
		t.Fatalf("presences without a name: %v", fake.Presences())
	}
	s.d.dev.PushName = "Me"
	fake.Emit(&events.AppStateSyncComplete{Name: appstate.WAPatchCriticalBlock})
	s.presenceWork.Wait()
	if p := fake.Presences(); len(p) != 5 || p[4] != types.PresenceUnavailable {
		t.Errorf("presences once the name is known: %v", p)
	}
}

// countOf is how many of ps are p.
func countOf(ps []types.Presence, p types.Presence) int {
	n := 0
	for _, q := range ps {
		if q == p {
			n++
		}
	}
	return n
}
