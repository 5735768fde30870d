package whatsapp

import (
	"context"
	"testing"

	"go.mau.fi/whatsmeow/appstate"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waSyncAction"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The first day: the gateway lists the groups as soon as the device is
// linked, before WhatsApp has sent the names the phone shows. The
// history's push names, the address book's first sync and a contact
// saved on the phone afterwards rename the members of the rooms listed
// before them: a member unknown by name was their number, one known by
// push name kept it once saved, until the next start (whatsmeow tells
// none of these as a change of name). A group's own display name for a
// member stays theirs.
func TestFirstDayMemberNames(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	pushName(t, fake, group, alice, "Ali")
	fake.SetGroup(&types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "Friends"}, Participants: []types.GroupParticipant{
		{JID: phone, PhoneNumber: phone},
		{JID: alice, PhoneNumber: alice},
		{JID: carol, PhoneNumber: carol},
		{JID: dave, PhoneNumber: dave, DisplayName: "Dave D."},
		{JID: erin, PhoneNumber: erin},
	}})
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	renames := func(from int) map[string]string {
		got := map[string]string{}
		for _, ev := range r.host.since(from) {
			if me := ev.GetMember(); me != nil && me.Kind == pb.MemberEvent_KIND_RENAMED && ev.ChatId == group.String() {
				got[me.Member.UserId] = me.Member.Nick
			}
		}
		return got
	}
	renamed := func(from int, user string) {
		t.Helper()
		r.host.next(t, from, func(ev *pb.Event) bool {
			return ev.GetMember().GetKind() == pb.MemberEvent_KIND_RENAMED && ev.GetMember().GetMember().GetUserId() == user
		})
	}

	// The history's push names.
	from := r.host.count()
	if _, err := fake.HistoryNotice(ctx, &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_PUSH_NAME.Enum(),
		Pushnames: []*waHistorySync.Pushname{
			{ID: proto.String(carol.String()), Pushname: proto.String("Carol")},
			{ID: proto.String(dave.String()), Pushname: proto.String("Dave")},
			{ID: proto.String(alice.String()), Pushname: proto.String("Ali")},
		}}); err != nil {
		t.Fatal(err)
	}
	renamed(from, "+33633333333")
	fenceMessage(t, r, fake, from)
	got := renames(from)
	if got["+33633333333"] != "Carol" {
		t.Errorf("renames after the history's push names: %q, want Carol named", got)
	}
	if n, ok := got["+33611111111"]; ok && n != "Ali" {
		t.Errorf("Alice renamed %q, want as she was", n)
	}
	if _, ok := got["+33644444444"]; ok {
		t.Errorf("a member with the group's display name renamed: %q", got)
	}

	// The address book's first sync: the contacts saved take their
	// names (nick "": the contact's, which the gateway knows).
	if err := s.d.dev.Contacts.PutAllContactNames(ctx, []store.ContactEntry{{JID: alice, FirstName: "Alice", FullName: "Alice Liddell"}}); err != nil {
		t.Fatal(err)
	}
	from = r.host.count()
	fake.Emit(&events.Contact{JID: alice, Timestamp: when, FromFullSync: true,
		Action: &waSyncAction.ContactAction{FirstName: proto.String("Alice"), FullName: proto.String("Alice Liddell")}})
	fake.Emit(&events.AppStateSyncComplete{Name: appstate.WAPatchCriticalUnblockLow})
	renamed(from, "+33611111111")
	if got := renames(from); got["+33611111111"] != "" || len(got) != 1 {
		t.Errorf("renames after the address book's sync: %q, want Alice's, to her contact name", got)
	}

	// Carol, known by her push name, saved on the phone.
	if err := s.d.dev.Contacts.PutContactName(ctx, carol, "Carol", "Carol Example"); err != nil {
		t.Fatal(err)
	}
	from = r.host.count()
	fake.Emit(&events.Contact{JID: carol, Timestamp: when, Action: &waSyncAction.ContactAction{FirstName: proto.String("Carol"), FullName: proto.String("Carol Example")}})
	renamed(from, "+33633333333")
	if got := renames(from); got["+33633333333"] != "" || len(got) != 1 {
		t.Errorf("renames after a contact saved: %q, want Carol's, to her contact name", got)
	}
}
