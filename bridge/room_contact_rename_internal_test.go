package bridge

import (
	"context"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestContactRenameInRooms: a contact the network renames changes nick
// in the rooms where its nick is its contact name, as XEP-0045 §7.6
// shows it (unavailable with 303 and the new nick, then available under
// it), to each joined resource; where it has a nick of the group's, it
// keeps it. Before, the room kept the old name until its next sync.
func TestContactRenameInRooms(t *testing.T) {
	tr, s, r, sent := occupantFixture(t)
	ctx := context.Background()
	if err := tr.db.PutPuppets(ctx, []store.Puppet{
		{Transport: tr.name, LoginID: s.LoginID(), UserID: "echo-1", Name: "Contact One"},
		{Transport: tr.name, LoginID: s.LoginID(), UserID: "echo-3", Name: "Three"},
	}); err != nil {
		t.Fatal(err)
	}
	s.updateRoom(ctx, r, &pb.Chat{ChatId: "g1", Type: pb.ChatType_CHAT_TYPE_GROUP, Name: "G",
		Members: []*pb.Member{{UserId: "alice-echo"}, {UserId: "echo-1", Nick: "One"}, {UserId: "echo-2", Nick: "Two"}, {UserId: "echo-3"}}}, false)
	sent()
	rename := func(id, old, name string) []*wire.Stanza {
		t.Helper()
		if err := tr.db.PutPuppets(ctx, []store.Puppet{{Transport: tr.name, LoginID: s.LoginID(), UserID: id, Name: name}}); err != nil {
			t.Fatal(err)
		}
		s.renameContact(ctx, &pb.Contact{UserId: id, Name: name}, old, name, nil)
		return sent()
	}
	var gone, back int
	for _, st := range rename("echo-3", "Three", "Tres") {
		if st.Kind() != "presence" || !strings.HasPrefix(st.From(), r.jid+"/") {
			continue
		}
		switch {
		case st.From() == r.jid+"/Three" && st.Type() == "unavailable" && nickChangeTo(st) == "Tres":
			gone++
		case st.From() == r.jid+"/Tres" && st.Type() == "":
			back++
		default:
			t.Errorf("unexpected occupant presence: %s %s", st.From(), st.Type())
		}
	}
	if gone != 2 || back != 2 {
		t.Errorf("nick change to the two joined resources: %d unavailable with 303, %d available under the new nick; want 2 and 2", gone, back)
	}
	r.mu.Lock()
	if n, _ := r.nicks.Nick("echo-3"); n != "Tres" {
		t.Errorf("echo-3's nick in the room: %q, want Tres", n)
	}
	r.mu.Unlock()
	// A member with a group nick keeps it.
	for _, st := range rename("echo-1", "Contact One", "Uno") {
		if st.Kind() == "presence" && strings.HasPrefix(st.From(), r.jid+"/") {
			t.Errorf("a member with a group nick changed nick: %s %s", st.From(), st.Type())
		}
	}
}

// nickChangeTo is the new nick an unavailable presence with status 303
// names, "" when it is no nick change.
func nickChangeTo(st *wire.Stanza) string {
	x := st.Child(muc.NSUser, "x")
	if x == nil {
		return ""
	}
	var is303 bool
	nick := ""
	for _, c := range x.Children {
		switch c.XMLName.Local {
		case "status":
			is303 = is303 || c.Attr("code") == "303"
		case "item":
			nick = c.Attr("nick")
		}
	}
	if !is303 {
		return ""
	}
	return nick
}
