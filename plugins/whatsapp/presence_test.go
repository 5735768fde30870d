package whatsapp

import (
	"context"
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
	ctx := context.Background()
	// The pairing's own Connected may come late: counts, not sequences.
	onConnect := func() []types.Presence {
		t.Helper()
		fake.Emit(&events.Connected{})
		s.presenceWork.Wait()
		return fake.Presences()
	}
	s.presenceWork.Wait()
	fake.ClearPresences()
	if p := onConnect(); countOf(p, types.PresenceUnavailable) == 0 || countOf(p, types.PresenceAvailable) != 0 {
		t.Errorf("presences on connecting, the user away: %v, want unavailable", p)
	}
	// Available, then a new connection: available again, never away.
	fake.ClearPresences()
	if err := s.SetPresence(ctx, &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}); err != nil {
		t.Fatal(err)
	}
	if p := onConnect(); countOf(p, types.PresenceAvailable) < 2 || countOf(p, types.PresenceUnavailable) != 0 {
		t.Errorf("presences once available and connected again: %v", p)
	}
	// Away, then a connection before the account's name is known (a
	// device just linked): none, then unavailable once it comes.
	if err := s.SetPresence(ctx, &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AWAY}); err != nil {
		t.Fatal(err)
	}
	fake.ClearPresences()
	s.d.dev.PushName = ""
	if p := onConnect(); len(p) != 0 {
		t.Fatalf("presences without a name: %v", p)
	}
	s.d.dev.PushName = "Me"
	fake.Emit(&events.AppStateSyncComplete{Name: appstate.WAPatchCriticalBlock})
	s.presenceWork.Wait()
	if p := fake.Presences(); countOf(p, types.PresenceUnavailable) == 0 || countOf(p, types.PresenceAvailable) != 0 {
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
