package whatsapp

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// pushName is a message of from's in chat carrying name, as whatsmeow
// sees it: the name stored and, changed, told (events.PushName).
func pushName(t *testing.T, fake *wafake.Client, chat, from types.JID, name string) {
	t.Helper()
	fake.PushName(context.Background(), &types.MessageInfo{
		MessageSource: types.MessageSource{Chat: chat, Sender: from, IsGroup: chat.Server == types.GroupServer},
		ID:            "N" + from.User, Timestamp: when, PushName: name})
}

// contactsOf is the user IDs of the contact events among evs.
func contactsOf(evs []*pb.Event) []string {
	var out []string
	for _, ev := range evs {
		if c := ev.GetContact().GetContact(); c != nil {
			out = append(out, c.UserId)
		}
	}
	return out
}

// Someone the user did not save, whose name or picture changed (met in a
// group, say), is no contact: the gateway took every contact event as a
// roster entry, and the next start's contact list, of saved contacts
// only, took it out again. A saved contact's changes are told as ever.
func TestStrangerNameNoContact(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	if err := s.d.dev.Contacts.PutContactName(context.Background(), alice, "Alice", "Alice Liddell"); err != nil {
		t.Fatal(err)
	}
	from := r.host.count()
	pushName(t, fake, group, carol, "Carol")
	fake.Emit(&events.Picture{JID: carol, Timestamp: when, PictureID: "c1"})
	fake.Emit(&events.BusinessName{JID: carol, NewBusinessName: "Carol's Shop"})
	pushName(t, fake, group, alice, "Ali")
	fake.Emit(&events.Picture{JID: alice, Timestamp: when, PictureID: "a1"})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetContact().GetContact().GetAvatarId() == "a1" })
	if c := ev.GetContact().GetContact(); c.UserId != "+33611111111" || c.Name != "Alice Liddell" || c.Nickname != "Ali" {
		t.Errorf("saved contact's picture: %v", c)
	}
	if got := contactsOf(r.host.since(from)); !slices.Equal(got, []string{"+33611111111", "+33611111111"}) {
		t.Errorf("contact events: %v, want the saved contact's two", got)
	}
	if cs, err := s.ContactList(context.Background()); err != nil || len(cs) != 1 {
		t.Errorf("contact list: %v, %v", cs, err)
	}
}

// In a room, a member the user did not save is named by their push name
// (the roster has no entry of theirs to name them), and follows its
// changes: a rename in each group of the user's they are in, only where
// the nick shown changes (not over the group's display name for them,
// nor for a saved contact, whose nick is the contact's name).
func TestMemberNickFromPushName(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	if err := s.d.dev.Contacts.PutContactName(ctx, alice, "Alice", "Alice Liddell"); err != nil {
		t.Fatal(err)
	}
	pushName(t, fake, group, alice, "Ali")
	pushName(t, fake, group, carol, "Carol")
	pushName(t, fake, group, phone, "Me") // the user's own: not their room nick
	pushName(t, fake, group, dave, "Dave")
	other := types.NewJID("120363000000000002", types.GroupServer)
	left := types.NewJID("120363000000000003", types.GroupServer)
	fake.SetGroup(&types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "Friends"}, Participants: []types.GroupParticipant{
		{JID: phone, PhoneNumber: phone},
		{JID: alice, PhoneNumber: alice},
		{JID: carol, PhoneNumber: carol, IsAdmin: true},
		{JID: dave, PhoneNumber: dave, DisplayName: "Dave D."},
		{JID: erin, PhoneNumber: erin}, // no name known
	}})
	fake.SetGroup(&types.GroupInfo{JID: other, GroupName: types.GroupName{Name: "Work"}, Participants: []types.GroupParticipant{
		{JID: phone, PhoneNumber: phone}, {JID: carol, PhoneNumber: carol},
	}})
	fake.SetGroup(&types.GroupInfo{JID: left, GroupName: types.GroupName{Name: "Gone"}, Participants: []types.GroupParticipant{
		{JID: carol, PhoneNumber: carol},
	}})
	chats, err := s.ChatList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nicks := map[string]string{}
	for _, c := range chats {
		if c.ChatId == group.String() {
			for _, m := range c.Members {
				nicks[m.UserId] = m.Nick
			}
		}
	}
	want := map[string]string{"+33600000000": "", "+33611111111": "", "+33633333333": "Carol", "+33644444444": "Dave D.", "+33655555555": ""}
	for id, n := range want {
		if got, ok := nicks[id]; !ok || got != n {
			t.Errorf("member %s: nick %q, want %q", id, got, n)
		}
	}

	from := r.host.count()
	pushName(t, fake, group, carol, "Caro")
	pushName(t, fake, group, alice, "Alicia")
	pushName(t, fake, group, dave, "Davy")
	pushName(t, fake, group, carol, "Caro") // no change: not told
	fenceMessage(t, r, fake, from)
	var renames []string
	for _, ev := range r.host.since(from) {
		if me := ev.GetMember(); me != nil {
			m := me.Member
			if me.Kind != pb.MemberEvent_KIND_RENAMED || ev.Sender.GetUserId() != m.UserId {
				t.Errorf("member event: %v", ev)
			}
			renames = append(renames, ev.ChatId+" "+m.UserId+" "+m.Nick+" "+m.Affiliation.String())
		}
	}
	if want := []string{
		group.String() + " +33633333333 Caro AFFILIATION_ADMIN",
		other.String() + " +33633333333 Caro AFFILIATION_MEMBER",
	}; !slices.Equal(renames, want) {
		t.Errorf("renames:\n%q\nwant\n%q", renames, want)
	}
	if got := contactsOf(r.host.since(from)); !slices.Equal(got, []string{"+33611111111"}) {
		t.Errorf("contact events: %v, want the saved contact's", got)
	}

	// Someone who joins is named by the push name known of them.
	pushName(t, fake, group, erin, "Erin")
	from = r.host.count()
	fake.Emit(&events.GroupInfo{JID: group, Timestamp: when, Join: []types.JID{types.NewJID("33666666666", types.DefaultUserServer)}})
	pushName(t, fake, group, types.NewJID("33666666666", types.DefaultUserServer), "Frank")
	fake.Emit(&events.GroupInfo{JID: other, Timestamp: when, Join: []types.JID{erin}})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.ChatId == other.String() && ev.GetMember() != nil })
	if m := ev.GetMember().Member; ev.GetMember().Kind != pb.MemberEvent_KIND_JOINED || m.Nick != "Erin" {
		t.Errorf("joined: %v", ev)
	}
	// Frank joined unnamed, then named: renamed in the room.
	ev, _ = r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMember().GetKind() == pb.MemberEvent_KIND_RENAMED })
	if m := ev.GetMember().Member; ev.ChatId != group.String() || m.UserId != "+33666666666" || m.Nick != "Frank" {
		t.Errorf("joined, then named: %v", ev)
	}
}

// A one-to-one message from someone the user did not save names them
// as its sender, with no contact event (no roster entry): by the push
// name it carries live, and by the one the store knows in history,
// whose messages mostly carry none.
func TestStrangerMessageName(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	from := r.host.count()
	info := &types.MessageInfo{MessageSource: types.MessageSource{Chat: carol, Sender: carol}, ID: "CAROL1", Timestamp: when, PushName: "Carol"}
	fake.PushName(ctx, info)
	fake.Receive(ctx, info, &waE2E.Message{Conversation: proto.String("hi, it's Carol")})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != "+33633333333" || ev.Sender.GetUserId() != "+33633333333" || ev.Sender.GetName() != "Carol" {
		t.Errorf("message: %v", ev)
	}
	if got := contactsOf(r.host.since(from)); len(got) != 0 {
		t.Errorf("contact events: %v", got)
	}

	now := time.Now().Truncate(time.Second)
	fake.History(ctx, &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_INITIAL_BOOTSTRAP.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(carol.String()), Messages: []*waHistorySync.HistorySyncMsg{
			historyMsg(carol, "CAROL0", now.Add(-time.Hour), &waE2E.Message{Conversation: proto.String("earlier")}),
		}}}})
	for _, b := range r.host.waitHistory(t, 1) {
		for _, ev := range b.Events {
			if ev.EventId == "CAROL0" && ev.Sender.GetName() != "Carol" {
				t.Errorf("history message: %v", ev)
			}
		}
	}
}
