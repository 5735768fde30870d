package whatsapp

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A contact's security code changed (WhatsApp's encrypt notification,
// handled by whatsmeow's own code: events.IdentityChange) is a notice
// in the one-to-one chat, as the phones show one, from the contact,
// under an ID of the change (the same notification delivered again is
// the same event). It is said once per change: the notification again,
// or whatsmeow's implicit change (a message under the new key, no
// notification seen) right after it, say nothing more; a later change
// is said again; an implicit change alone is said too. Before, the
// event was ignored.
func TestIdentityChangeNotice(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	changed := time.Now().Add(-time.Minute).Truncate(time.Second)

	from := r.host.count()
	fake.IdentityChanged(ctx, alice, changed)
	ev, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	text := ev.GetMessage().GetText()
	if ev.ChatId != "+33611111111" || ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT || ev.GetSender().GetUserId() != "+33611111111" ||
		ev.TimestampUnixMicro != changed.UnixMicro() || ev.EventId == "" || !strings.Contains(text, "security code with +33611111111 changed") {
		t.Fatalf("the notice: %v", ev)
	}
	first := ev.EventId

	// Again, and whatsmeow's implicit one: the same change.
	fake.IdentityChanged(ctx, alice, changed)
	fake.Emit(&events.IdentityChange{JID: alice, Timestamp: time.Now(), Implicit: true})
	fenceMessage(t, r, fake, i+1)

	// A later change is said again, under its own ID.
	from = r.host.count()
	fake.IdentityChanged(ctx, alice, changed.Add(48*time.Hour))
	ev, _ = r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != "+33611111111" || ev.EventId == first || !strings.Contains(ev.GetMessage().GetText(), "security code") {
		t.Errorf("a later change: %v", ev)
	}

	// An implicit change alone (a message of bob's phone under a key
	// whatsmeow does not trust) is said.
	from = r.host.count()
	if err := fake.UntrustedIdentity(ctx, types.NewADJID(bob.User, 0, 0)); err != nil {
		t.Fatal(err)
	}
	ev, _ = r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != "+33622222222" || !strings.Contains(ev.GetMessage().GetText(), "security code with") {
		t.Errorf("an implicit change: %v", ev)
	}

	// No notice for a group, nor for the user's own account.
	from = r.host.count()
	fake.Emit(&events.IdentityChange{JID: types.NewJID("120363000000000901", types.GroupServer), Timestamp: time.Now()})
	fake.Emit(&events.IdentityChange{JID: phone, Timestamp: time.Now()})
	fenceMessage(t, r, fake, from)
}

// Which change was said is kept over a restart of the plugin (in the
// login's folder): after one, whatsmeow's implicit change right after a
// notification said before (each of the contact's devices may bring
// one), and the notification delivered again, say nothing more; a later
// change is still said. Before, it was kept in memory only: the
// implicit one, under an ID of its own, was said a second time.
func TestIdentityChangeNoticeAfterRestart(t *testing.T) {
	r := newRig(t, "")
	dir := t.TempDir()
	done := r.loginQR(t, dir)
	info := sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir}
	s, fake := r.load(t, info)
	ctx := context.Background()
	changed := time.Now().Add(-time.Minute).Truncate(time.Second)
	from := r.host.count()
	fake.IdentityChanged(ctx, alice, changed)
	r.host.next(t, from, func(ev *pb.Event) bool {
		return ev.GetMessage() != nil && strings.Contains(ev.GetMessage().GetText(), "security code")
	})
	s.Disconnect(ctx)

	r2 := newRig(t, "")
	_, fake2 := r2.load(t, info)
	from = r2.host.count()
	fake2.Emit(&events.IdentityChange{JID: alice, Timestamp: time.Now(), Implicit: true})
	fake2.IdentityChanged(ctx, alice, changed)
	fenceMessage(t, r2, fake2, from)

	from = r2.host.count()
	fake2.IdentityChanged(ctx, alice, changed.Add(48*time.Hour))
	ev, _ := r2.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != "+33611111111" || !strings.Contains(ev.GetMessage().GetText(), "security code") {
		t.Errorf("a later change after the restart: %v", ev)
	}
}
