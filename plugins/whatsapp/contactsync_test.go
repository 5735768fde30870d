package whatsapp

import (
	"context"
	"slices"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow/appstate"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The address book WhatsApp syncs a few seconds after pairing reaches
// the roster then, not at the next start: whatsmeow stores its first
// snapshot whole, with no events.Contact, and says only that the sync
// completed. Saved contacts are announced, subscribed to when the user
// is available; someone with a push name only is not.
func TestContactsAfterFirstSync(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	if err := s.SetPresence(ctx, &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}); err != nil {
		t.Fatal(err)
	}
	if cs, _ := s.ContactList(ctx); len(cs) != 0 {
		t.Fatalf("contacts before the sync: %v", cs)
	}
	// What whatsmeow does with the snapshot (applyAppStatePatches).
	if err := s.d.dev.Contacts.PutAllContactNames(ctx, []store.ContactEntry{
		{JID: alice, FirstName: "Alice", FullName: "Alice Liddell"},
		{JID: bob, FirstName: "Bob", FullName: "Bob Bobson"},
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.d.dev.Contacts.PutPushName(ctx, types.NewJID("33655555555", types.DefaultUserServer), "Met in a group"); err != nil {
		t.Fatal(err)
	}
	from := r.host.count()
	fake.Emit(&events.AppStateSyncComplete{Name: appstate.WAPatchCriticalBlock})
	fake.Emit(&events.AppStateSyncComplete{Name: appstate.WAPatchCriticalUnblockLow})
	var got []string
	for len(got) < 2 {
		ev, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetContact() != nil })
		got = append(got, ev.GetContact().GetContact().GetUserId()+" "+ev.GetContact().GetContact().GetName())
		from = i + 1
	}
	slices.Sort(got)
	if want := []string{"+33611111111 Alice Liddell", "+33622222222 Bob Bobson"}; !slices.Equal(got, want) {
		t.Errorf("contacts announced: %q, want %q", got, want)
	}
	s.presenceWork.Wait()
	if subs := sortedSubs(fake); !slices.Equal(subs, []types.JID{alice, bob}) {
		t.Errorf("presence subscriptions after the sync: %v", subs)
	}
	for _, ev := range r.host.since(from) {
		if c := ev.GetContact().GetContact(); c != nil {
			t.Errorf("more contacts announced: %v", c)
		}
	}
}

// Available right after linking, before WhatsApp synced the account's
// name that every presence carries (whatsmeow refuses to send one
// without it): no error, and the presence goes, with the contacts'
// subscribed, once the name has come (app state critical_block), not
// only when the user's presence next changes.
func TestPresenceBeforeNameSynced(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	s.presenceWork.Wait() // the connection's: unavailable
	fake.ClearPresences() // what follows only
	s.d.dev.PushName = "" // as whatsmeow leaves it at pairing
	if err := s.d.dev.Contacts.PutContactName(ctx, alice, "Alice", "Alice Liddell"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPresence(ctx, &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}); err != nil {
		t.Fatalf("available before the name is known: %v", err)
	}
	if p, subs := fake.Presences(), fake.Subscriptions(); len(p) != 0 || len(subs) != 0 {
		t.Fatalf("sent without a name: %v, %v", p, subs)
	}
	s.d.dev.PushName = "Me" // what the sync of critical_block stores
	fake.Emit(&events.AppStateSyncComplete{Name: appstate.WAPatchCriticalBlock})
	s.presenceWork.Wait()
	if p, subs := fake.Presences(), fake.Subscriptions(); !slices.Equal(p, []types.Presence{types.PresenceAvailable}) || !slices.Equal(subs, []types.JID{alice}) {
		t.Errorf("once the name is known: presences %v, subscriptions %v", p, subs)
	}
	// Once only: a later change of the name sends nothing again.
	fake.Emit(&events.PushNameSetting{})
	fake.Emit(&events.AppStateSyncComplete{Name: appstate.WAPatchCriticalBlock})
	fenceMessage(t, r, fake, r.host.count())
	if p := fake.Presences(); len(p) != 1 {
		t.Errorf("presence sent again: %v", p)
	}
}

// sortedSubs is the presence subscriptions made, in order of JID.
func sortedSubs(fake interface{ Subscriptions() []types.JID }) []types.JID {
	subs := fake.Subscriptions()
	slices.SortFunc(subs, func(a, b types.JID) int { return strings.Compare(a.String(), b.String()) })
	return subs
}

// Right after linking, available before the account's name is known:
// the presence kept until the name's sync subscribes the contacts, and
// so does the address book's sync just after it; each contact is asked
// for once on the connection, not by both. A new connection asks again.
func TestContactsSubscribedOnce(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	s.presenceWork.Wait() // the connection's own, with nobody available
	s.d.dev.PushName = "" // as whatsmeow leaves it at pairing
	if err := s.SetPresence(ctx, &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}); err != nil {
		t.Fatal(err)
	}
	// Both syncs stored (whatsmeow fetches the app state's patches one
	// after the other), then told.
	if err := s.d.dev.Contacts.PutAllContactNames(ctx, []store.ContactEntry{
		{JID: alice, FirstName: "Alice", FullName: "Alice Liddell"},
		{JID: bob, FirstName: "Bob", FullName: "Bob Bobson"},
	}); err != nil {
		t.Fatal(err)
	}
	s.d.dev.PushName = "Me"
	fake.Emit(&events.AppStateSyncComplete{Name: appstate.WAPatchCriticalBlock})
	fake.Emit(&events.AppStateSyncComplete{Name: appstate.WAPatchCriticalUnblockLow})
	s.presenceWork.Wait()
	if subs := sortedSubs(fake); !slices.Equal(subs, []types.JID{alice, bob}) {
		t.Errorf("presence subscriptions after both syncs: %v, want each contact once", subs)
	}
	// A new connection has none: all again, once.
	fake.Emit(&events.Connected{})
	s.presenceWork.Wait()
	if subs := sortedSubs(fake); !slices.Equal(subs, []types.JID{alice, alice, bob, bob}) {
		t.Errorf("presence subscriptions after reconnecting: %v", subs)
	}
}
